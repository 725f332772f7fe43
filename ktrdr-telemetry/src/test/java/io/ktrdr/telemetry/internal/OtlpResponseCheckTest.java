package io.ktrdr.telemetry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What counts as an OTLP response, checked against bodies the real protobuf classes write. */
class OtlpResponseCheckTest {
  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void realResponsesAreValidAndTheirRejectedItemsAreRead() {
    assertThat(OtlpResponseCheck.protobufRejected(new byte[0])).isZero();
    assertThat(
            OtlpResponseCheck.protobufRejected(
                ExportTraceServiceResponse.getDefaultInstance().toByteArray()))
        .isZero();
    byte[] partial =
        ExportTraceServiceResponse.newBuilder()
            .setPartialSuccess(
                ExportTracePartialSuccess.newBuilder()
                    .setRejectedSpans(300)
                    .setErrorMessage("too old"))
            .build()
            .toByteArray();
    assertThat(OtlpResponseCheck.protobufRejected(partial)).isEqualTo(300);
    byte[] logs =
        ExportLogsServiceResponse.newBuilder()
            .setPartialSuccess(ExportLogsPartialSuccess.newBuilder().setRejectedLogRecords(7))
            .build()
            .toByteArray();
    assertThat(OtlpResponseCheck.protobufRejected(logs)).isEqualTo(7);
  }

  @Test
  void garbageHtmlAndTruncatedBodiesAreNotOtlpResponses() {
    assertThat(OtlpResponseCheck.protobufRejected(utf8("<html><body>OK</body></html>")))
        .isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(utf8("OK"))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(utf8("garbage!garbage!garbage!"))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(utf8("{\"status\":\"ok\"}"))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(new byte[] {0x0a, 0x05, 0x08})).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(new byte[] {0x08, 0x01})).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(new byte[] {(byte) 0xff})).isEqualTo(-1);
  }

  @Test
  void jsonResponsesAreObjects() {
    assertThat(OtlpResponseCheck.jsonRejected(utf8(""))).isZero();
    assertThat(OtlpResponseCheck.jsonRejected(utf8("{}"))).isZero();
    assertThat(
            OtlpResponseCheck.jsonRejected(
                utf8("{\"partialSuccess\":{\"rejectedSpans\":\"12\",\"errorMessage\":\"x\"}}")))
        .isEqualTo(12);
    assertThat(OtlpResponseCheck.jsonRejected(utf8("<html>ok</html>"))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.jsonRejected(utf8("ok"))).isEqualTo(-1);
  }
}
