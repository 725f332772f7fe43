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

  private final io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader reader =
      io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader.create();
  private final io.opentelemetry.sdk.metrics.SdkMeterProvider meters =
      io.opentelemetry.sdk.metrics.SdkMeterProvider.builder().registerMetricReader(reader).build();
  private final io.opentelemetry.api.metrics.LongCounter dropped =
      ExportReporter.droppedCounter(meters.get("test"));
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
        .mapToLong(io.opentelemetry.sdk.metrics.data.LongPointData::getValue)
        .sum();
  }

  private static java.util.List<io.opentelemetry.sdk.trace.data.SpanData> oneSpan() {
    io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter memory =
        io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
    try (io.opentelemetry.sdk.trace.SdkTracerProvider tracers =
        io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
            .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(memory))
            .build()) {
      tracers.get("t").spanBuilder("s").startSpan().end();
      // Before close: shutting the in-memory exporter down empties it.
      return memory.getFinishedSpanItems();
    }
  }

  /** A real OTLP/HTTP exporter with the check, against a real loopback collector. */
  @Test
  void theRealExporterFailsOnAGarbage200AndSucceedsOnARealResponse() {
    try (io.ktrdr.telemetry.testing.FaultyCollector collector =
        io.ktrdr.telemetry.testing.FaultyCollector.start()) {
      io.opentelemetry.sdk.trace.export.SpanExporter exporter =
          reporter.wrap(
              io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter.builder()
                  .setEndpoint(collector.endpoint() + "/v1/traces")
                  .setRetryPolicy(null)
                  .setComponentLoader(OtlpResponseCheck.loader(reporter))
                  .build());
      try {
        assertThat(
                exporter
                    .export(oneSpan())
                    .join(10, java.util.concurrent.TimeUnit.SECONDS)
                    .isSuccess())
            .isTrue();
        assertThat(collector.spans()).isEqualTo(1);

        collector.mode(io.ktrdr.telemetry.testing.FaultyCollector.Mode.GARBAGE_200);
        io.opentelemetry.sdk.common.CompletableResultCode garbage =
            exporter.export(oneSpan()).join(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(garbage.isSuccess()).isFalse();
        assertThat(garbage.getFailureThrowable())
            .hasRootCauseInstanceOf(OtlpResponseCheck.InvalidResponseException.class)
            .hasRootCauseMessage(
                "the collector answered HTTP 200 with a body that is not an OTLP response (35"
                    + " bytes)");
        assertThat(dropped("invalid_response")).isEqualTo(1);

        collector.mode(io.ktrdr.telemetry.testing.FaultyCollector.Mode.UNAVAILABLE);
        assertThat(
                exporter
                    .export(oneSpan())
                    .join(10, java.util.concurrent.TimeUnit.SECONDS)
                    .isSuccess())
            .isFalse();
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
  private static io.opentelemetry.sdk.common.export.HttpSenderProvider answering(
      int status, byte[] body) {
    return config ->
        new io.opentelemetry.sdk.common.export.HttpSender() {
          @Override
          public void send(
              io.opentelemetry.sdk.common.export.MessageWriter writer,
              java.util.function.Consumer<io.opentelemetry.sdk.common.export.HttpResponse>
                  onResponse,
              java.util.function.Consumer<Throwable> onError) {
            onResponse.accept(
                new io.opentelemetry.sdk.common.export.HttpResponse() {
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
          public io.opentelemetry.sdk.common.CompletableResultCode shutdown() {
            return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
          }
        };
  }

  /** What the checking sender passes on: the response, or an error. */
  private String outcome(String contentType, int status, byte[] body) {
    io.opentelemetry.sdk.common.export.HttpSenderConfig config =
        new io.opentelemetry.sdk.common.export.HttpSenderConfig() {
          @Override
          public java.net.URI getEndpoint() {
            return java.net.URI.create("http://127.0.0.1:1/v1/traces");
          }

          @Override
          public String getContentType() {
            return contentType;
          }

          @Override
          public io.opentelemetry.sdk.common.export.Compressor getCompressor() {
            return null;
          }

          @Override
          public java.time.Duration getTimeout() {
            return java.time.Duration.ofSeconds(1);
          }

          @Override
          public java.time.Duration getConnectTimeout() {
            return java.time.Duration.ofSeconds(1);
          }

          @Override
          public java.util.function.Supplier<java.util.Map<String, java.util.List<String>>>
              getHeadersSupplier() {
            return java.util.Map::of;
          }

          @Override
          public io.opentelemetry.sdk.common.export.ProxyOptions getProxyOptions() {
            return null;
          }

          @Override
          public io.opentelemetry.sdk.common.export.RetryPolicy getRetryPolicy() {
            return null;
          }

          @Override
          public javax.net.ssl.SSLContext getSslContext() {
            return null;
          }

          @Override
          public javax.net.ssl.X509TrustManager getTrustManager() {
            return null;
          }

          @Override
          public java.util.concurrent.ExecutorService getExecutorService() {
            return null;
          }
        };
    java.util.concurrent.atomic.AtomicReference<String> result =
        new java.util.concurrent.atomic.AtomicReference<>();
    io.opentelemetry.sdk.common.export.HttpSender sender =
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
    io.opentelemetry.common.ComponentLoader loader = OtlpResponseCheck.loader(reporter);
    java.util.List<io.opentelemetry.sdk.common.export.HttpSenderProvider> senders =
        io.opentelemetry.common.ComponentLoader.loadList(
            loader, io.opentelemetry.sdk.common.export.HttpSenderProvider.class);
    assertThat(senders).singleElement().isNotNull();
    assertThat(senders.get(0).getClass().getName()).contains("OtlpResponseCheck");
    java.util.List<io.opentelemetry.sdk.common.export.HttpSenderProvider> plain =
        io.opentelemetry.common.ComponentLoader.loadList(
            io.opentelemetry.common.ComponentLoader.forClassLoader(
                OtlpResponseCheck.class.getClassLoader()),
            io.opentelemetry.sdk.common.export.HttpSenderProvider.class);
    assertThat(plain).hasSize(1);
    assertThat(
            io.opentelemetry.common.ComponentLoader.loadList(
                loader, io.opentelemetry.sdk.common.export.GrpcSenderProvider.class))
        .hasSameSizeAs(
            io.opentelemetry.common.ComponentLoader.loadList(
                io.opentelemetry.common.ComponentLoader.forClassLoader(
                    OtlpResponseCheck.class.getClassLoader()),
                io.opentelemetry.sdk.common.export.GrpcSenderProvider.class));
    assertThat(loader.toString()).startsWith("OtlpResponseCheck{");
  }
}
