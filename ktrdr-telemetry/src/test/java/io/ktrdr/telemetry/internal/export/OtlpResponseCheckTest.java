package io.ktrdr.telemetry.internal.export;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.testing.FaultyCollector;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.Compressor;
import io.opentelemetry.sdk.common.export.GrpcSenderProvider;
import io.opentelemetry.sdk.common.export.HttpResponse;
import io.opentelemetry.sdk.common.export.HttpSender;
import io.opentelemetry.sdk.common.export.HttpSenderConfig;
import io.opentelemetry.sdk.common.export.HttpSenderProvider;
import io.opentelemetry.sdk.common.export.MessageWriter;
import io.opentelemetry.sdk.common.export.ProxyOptions;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
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

  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final SdkMeterProvider meters =
      SdkMeterProvider.builder().registerMetricReader(reader).build();
  private final LongCounter dropped = ExportReporter.droppedCounter(meters.get("test"));
  private final ExportReporter reporter =
      new ExportReporter(
          "spans", "spans", "span-export", () -> null, () -> dropped, System::nanoTime);

  @org.junit.jupiter.api.AfterEach
  void closeMeters() {
    meters.close();
  }

  private long dropped(String reason) {
    return reader.collectAllMetrics().stream()
        .filter(m -> m.getName().equals("ktrdr.telemetry.dropped"))
        .flatMap(m -> m.getLongSumData().getPoints().stream())
        .filter(p -> p.getAttributes().equals(ExportReporter.dropReason("spans", reason)))
        .mapToLong(LongPointData::getValue)
        .sum();
  }

  private static List<SpanData> oneSpan() {
    InMemorySpanExporter memory = InMemorySpanExporter.create();
    try (SdkTracerProvider tracers =
        SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(memory)).build()) {
      tracers.get("t").spanBuilder("s").startSpan().end();
      // Before close: shutting the in-memory exporter down empties it.
      return memory.getFinishedSpanItems();
    }
  }

  /** A real OTLP/HTTP exporter with the check, against a real loopback collector. */
  @Test
  void theRealExporterFailsOnAGarbage200AndSucceedsOnARealResponse() {
    try (FaultyCollector collector = FaultyCollector.start()) {
      SpanExporter exporter =
          reporter.wrap(
              OtlpHttpSpanExporter.builder()
                  .setEndpoint(collector.endpoint() + "/v1/traces")
                  .setRetryPolicy(null)
                  .setComponentLoader(OtlpResponseCheck.loader(reporter))
                  .build());
      try {
        assertThat(exporter.export(oneSpan()).join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
        assertThat(collector.spans()).isEqualTo(1);

        collector.mode(FaultyCollector.Mode.GARBAGE_200);
        CompletableResultCode garbage = exporter.export(oneSpan()).join(10, TimeUnit.SECONDS);
        assertThat(garbage.isSuccess()).isFalse();
        assertThat(garbage.getFailureThrowable())
            .hasRootCauseInstanceOf(OtlpResponseCheck.InvalidResponseException.class)
            .hasRootCauseMessage(
                "the collector answered HTTP 200 with a body that is not an OTLP response (35"
                    + " bytes)");
        assertThat(dropped("invalid_response")).isEqualTo(1);

        collector.mode(FaultyCollector.Mode.UNAVAILABLE);
        assertThat(exporter.export(oneSpan()).join(10, TimeUnit.SECONDS).isSuccess()).isFalse();
        assertThat(dropped("export_failed")).isEqualTo(1);
        assertThat(dropped("invalid_response")).isEqualTo(1);
      } finally {
        exporter.shutdown();
      }
    }
  }

  /**
   * A sender that answers {@code status} with {@code body}, for the cases a collector rarely sends.
   */
  private static HttpSenderProvider answering(int status, byte[] body) {
    return config ->
        new HttpSender() {
          @Override
          public void send(
              MessageWriter writer,
              Consumer<HttpResponse> onResponse,
              Consumer<Throwable> onError) {
            onResponse.accept(
                new HttpResponse() {
                  @Override
                  public int getStatusCode() {
                    return status;
                  }

                  @Override
                  public String getStatusMessage() {
                    return "";
                  }

                  @Override
                  public byte[] getResponseBody() {
                    return body;
                  }
                });
          }

          @Override
          public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
          }
        };
  }

  /** What the checking sender passes on: the response, or an error. */
  private String outcome(String contentType, int status, byte[] body) {
    HttpSenderConfig config =
        new HttpSenderConfig() {
          @Override
          public URI getEndpoint() {
            return URI.create("http://127.0.0.1:1/v1/traces");
          }

          @Override
          public String getContentType() {
            return contentType;
          }

          @Override
          public Compressor getCompressor() {
            return null;
          }

          @Override
          public Duration getTimeout() {
            return Duration.ofSeconds(1);
          }

          @Override
          public Duration getConnectTimeout() {
            return Duration.ofSeconds(1);
          }

          @Override
          public Supplier<Map<String, List<String>>> getHeadersSupplier() {
            return Map::of;
          }

          @Override
          public ProxyOptions getProxyOptions() {
            return null;
          }

          @Override
          public RetryPolicy getRetryPolicy() {
            return null;
          }

          @Override
          public SSLContext getSslContext() {
            return null;
          }

          @Override
          public X509TrustManager getTrustManager() {
            return null;
          }

          @Override
          public ExecutorService getExecutorService() {
            return null;
          }
        };
    AtomicReference<String> result = new AtomicReference<>();
    HttpSender sender =
        OtlpResponseCheck.checking(answering(status, body), reporter).createSender(config);
    sender.send(
        null,
        response -> result.set("response " + response.getStatusCode()),
        error -> result.set("error " + error.getClass().getSimpleName()));
    assertThat(sender.shutdown().isSuccess()).isTrue();
    return result.get();
  }

  @Test
  void partialSuccessIsCountedAsRejectedAndErrorStatusesPassThrough() {
    byte[] partial =
        ExportTraceServiceResponse.newBuilder()
            .setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(4))
            .build()
            .toByteArray();
    assertThat(outcome("application/x-protobuf", 200, partial)).isEqualTo("response 200");
    assertThat(dropped("rejected")).isEqualTo(4);
    assertThat(outcome("application/x-protobuf", 200, utf8("<html>")))
        .isEqualTo("error InvalidResponseException");
    assertThat(outcome("application/x-protobuf", 503, utf8("<html>"))).isEqualTo("response 503");
    assertThat(outcome("application/x-protobuf", 199, utf8("<html>"))).isEqualTo("response 199");
    assertThat(outcome("application/x-protobuf", 300, utf8("<html>"))).isEqualTo("response 300");
    assertThat(outcome("application/json", 200, utf8("{\"partialSuccess\":{\"rejectedSpans\":2}}")))
        .isEqualTo("response 200");
    assertThat(dropped("rejected")).isEqualTo(6);
    assertThat(outcome("application/json", 200, partial))
        .isEqualTo("error InvalidResponseException");
    assertThat(outcome("application/x-protobuf", 204, null)).isEqualTo("response 204");
  }

  @Test
  void theLoaderChecksTheOneHttpSenderAndPassesOtherComponentsOn() {
    ComponentLoader loader = OtlpResponseCheck.loader(reporter);
    List<HttpSenderProvider> senders = ComponentLoader.loadList(loader, HttpSenderProvider.class);
    assertThat(senders).singleElement().isNotNull();
    assertThat(senders.get(0).getClass().getName()).contains("OtlpResponseCheck");
    List<HttpSenderProvider> plain =
        ComponentLoader.loadList(
            ComponentLoader.forClassLoader(OtlpResponseCheck.class.getClassLoader()),
            HttpSenderProvider.class);
    assertThat(plain).hasSize(1);
    assertThat(ComponentLoader.loadList(loader, GrpcSenderProvider.class))
        .hasSameSizeAs(
            ComponentLoader.loadList(
                ComponentLoader.forClassLoader(OtlpResponseCheck.class.getClassLoader()),
                GrpcSenderProvider.class));
    assertThat(loader.toString()).startsWith("OtlpResponseCheck{");
  }

  private static byte[] bytes(int... values) {
    byte[] result = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      result[i] = (byte) values[i];
    }
    return result;
  }

  @Test
  void theProtobufCheckFollowsTheWireFormat() {
    // Unknown top-level fields of every wire type are skipped, as a protobuf parser does.
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x10, 0x05))).isZero();
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x19, 1, 2, 3, 4, 5, 6, 7, 8))).isZero();
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x25, 1, 2, 3, 4))).isZero();
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x2a, 0x01, 'a'))).isZero();
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x2a, 0x00))).isZero();
    // Truncated values, groups and field 0 are not.
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x19, 1, 2, 3, 4, 5, 6, 7))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x25, 1, 2, 3))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x2a, 0x02, 'a'))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x10))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x1b))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x02, 0x00))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x80))).isEqualTo(-1);
    assertThat(
            OtlpResponseCheck.protobufRejected(
                bytes(0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)))
        .isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x80))).isEqualTo(-1);
  }

  @Test
  void thePartialSuccessIsReadFieldByField() {
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x02, 0x08, 0x07))).isEqualTo(7);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x03, 0x08, 0x96, 0x01)))
        .isEqualTo(150);
    assertThat(
            OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x06, 0x08, 0x07, 0x12, 0x02, 'h', 'i')))
        .isEqualTo(7);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x04, 0x12, 0x02, 'h', 'i')))
        .isZero();
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x02, 0x18, 0x01))).isZero();
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x05, 0x1d, 1, 2, 3, 4))).isZero();
    assertThat(
            OtlpResponseCheck.protobufRejected(
                bytes(0x0a, 0x02, 0x08, 0x03, 0x0a, 0x02, 0x08, 0x04)))
        .isEqualTo(7);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x00))).isZero();
    // Wrong wire types, truncation inside the message, field 0.
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x02, 0x10, 0x07))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x02, 0x0a, 0x00))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x01, 0x08))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x03, 0x12, 0x05, 'h')))
        .isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x02, 0x00, 0x00))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x01, 0x80))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x02, 0x1b, 0x00))).isEqualTo(-1);
    assertThat(OtlpResponseCheck.protobufRejected(bytes(0x0a, 0x03, 0x1d, 1, 2))).isEqualTo(-1);
  }

  @Test
  void onlyA2xxIsChecked() {
    assertThat(outcome("application/x-protobuf", 201, utf8("<html>")))
        .isEqualTo("error InvalidResponseException");
    assertThat(outcome("application/x-protobuf", 299, utf8("<html>")))
        .isEqualTo("error InvalidResponseException");
    assertThat(outcome("application/x-protobuf", 429, new byte[0])).isEqualTo("response 429");
  }
}
