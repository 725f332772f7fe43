package io.ktrdr.telemetry.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.ktrdr.telemetry.testing.Scrape;
import io.opentelemetry.context.Scope;
import io.opentelemetry.proto.trace.v1.Status;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class OperationTrackerTest {
  private OtlpReceiver receiver;
  private KtrdrTelemetry telemetry;

  @BeforeEach
  void start() {
    receiver = OtlpReceiver.start();
    telemetry =
        KtrdrTelemetry.builder()
            .serviceName("ktrdr-worker")
            .otlpEndpoint(receiver.endpoint())
            .environment(Map.of("OTEL_BSP_SCHEDULE_DELAY", "50"))
            .shutdownHook(false)
            .build();
  }

  @AfterEach
  void stop() {
    telemetry.close();
    receiver.close();
  }

  private Scrape scrape() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, telemetry.prometheusRegistry().scrape());
    return Scrape.parse(out.toString(StandardCharsets.UTF_8));
  }

  private static Map<String, String> labels(String type, String status) {
    return Map.of("operation_type", type, "status", status);
  }

  @Test
  void aCompletedOperationHasItsSpanEventsLogContextAndMetrics() throws Exception {
    String result =
        telemetry
            .operations()
            .run(
                "backtest",
                "op-123",
                op -> {
                  assertThat(MDC.get("operation_id")).isEqualTo("op-123");
                  op.progress(0.25, "loading bars");
                  op.progress(1.5, "done");
                  return "pnl=42";
                });

    assertThat(result).isEqualTo("pnl=42");
    assertThat(MDC.get("operation_id")).isNull();
    ReceivedSpan span = receiver.awaitSpan("operation.backtest");
    assertThat(span.attributes())
        .containsEntry("operation.id", "op-123")
        .containsEntry("operation.type", "backtest")
        .containsEntry("operation.status", "completed");
    assertThat(span.span().getEventsList())
        .extracting(e -> OtlpReceiver.toMap(e.getAttributesList()))
        .containsExactly(
            Map.of("operation.progress", "0.25", "operation.message", "loading bars"),
            Map.of("operation.progress", "1.0", "operation.message", "done"));
    Scrape scrape = scrape();
    assertThat(scrape.value("ktrdr_operations_total", labels("backtest", "completed")))
        .isEqualTo(1);
    assertThat(
            scrape.value("ktrdr_operation_duration_seconds_count", labels("backtest", "completed")))
        .isEqualTo(1);
    assertThat(scrape.value("ktrdr_operations_active", Map.of("operation_type", "backtest")))
        .isZero();
    assertThat(
            scrape.samples(
                "ktrdr_operation_duration_seconds_bucket",
                s -> "completed".equals(s.label("status"))))
        .extracting(s -> s.label("le"))
        // The default mode (both) derives classic buckets at powers of two: 0.5 s to 4096 s.
        .contains("0.5", "64.0", "4096.0", "+Inf");
  }

  @Test
  void aFailingOperationRethrowsAndEndsFailed() throws Exception {
    assertThatThrownBy(
            () ->
                telemetry
                    .operations()
                    .run(
                        "training",
                        "op-9",
                        op -> {
                          throw new IllegalArgumentException("no data for XYZ");
                        }))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no data for XYZ");

    ReceivedSpan span = receiver.awaitSpan("operation.training");
    assertThat(span.span().getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(span.attribute("operation.status")).isEqualTo("failed");
    assertThat(scrape().value("ktrdr_operations_total", labels("training", "failed"))).isEqualTo(1);
  }

  @Test
  void aCancelledOperationEndsCancelled() throws Exception {
    assertThatThrownBy(
            () ->
                telemetry
                    .operations()
                    .run(
                        "backtest",
                        "op-c",
                        op -> {
                          throw new CancellationException("cancelled by user");
                        }))
        .isInstanceOf(CancellationException.class);

    assertThat(receiver.awaitSpan("operation.backtest").attribute("operation.status"))
        .isEqualTo("cancelled");
    assertThat(scrape().value("ktrdr_operations_total", labels("backtest", "cancelled")))
        .isEqualTo(1);
  }

  @Test
  void anOperationCanRunOnAnotherThreadAndEndsOnce() throws Exception {
    Operation operation = telemetry.operations().start("data_load", "op-t");
    assertThat(scrape().value("ktrdr_operations_active", Map.of("operation_type", "data_load")))
        .isEqualTo(1);

    CompletableFuture.runAsync(
            () -> {
              try (Scope ignored = operation.makeCurrent()) {
                assertThat(MDC.get("operation_id")).isEqualTo("op-t");
                telemetry
                    .tracing()
                    .inSpan("fetch", io.opentelemetry.api.common.Attributes.empty(), () -> null);
              }
              operation.complete();
              operation.fail(new IllegalStateException("ignored: already ended"));
            })
        .get(5, TimeUnit.SECONDS);

    ReceivedSpan parent = receiver.awaitSpan("operation.data_load");
    assertThat(receiver.awaitSpan("fetch").parentSpanId()).isEqualTo(parent.spanId());
    Scrape scrape = scrape();
    assertThat(scrape.value("ktrdr_operations_total", labels("data_load", "completed")))
        .isEqualTo(1);
    assertThat(scrape.samples("ktrdr_operations_total", s -> "failed".equals(s.label("status"))))
        .isEmpty();
    assertThat(scrape.value("ktrdr_operations_active", Map.of("operation_type", "data_load")))
        .isZero();
  }

  @Test
  void declaredTypesHaveSeriesAtZero() throws Exception {
    telemetry.operations().declare("backtest", "training");

    Scrape scrape = scrape();
    for (String status : new String[] {"completed", "failed", "cancelled"}) {
      assertThat(scrape.value("ktrdr_operations_total", labels("training", status))).isZero();
    }
    assertThat(scrape.value("ktrdr_operations_active", Map.of("operation_type", "backtest")))
        .isZero();
  }

  @Test
  void typesBeyondTheBoundAreFoldedIntoOtherWithOneWarning() throws Exception {
    try (io.ktrdr.telemetry.testing.LogCapture log =
        io.ktrdr.telemetry.testing.LogCapture.of(OperationTracker.class)) {
      int types = OperationTracker.MAX_TYPES + 20;
      for (int i = 0; i < types; i++) {
        telemetry.operations().start("backtest-" + i, "op-" + i).complete();
      }

      Scrape scrape = scrape();
      java.util.Set<String> labelled = new java.util.TreeSet<>();
      scrape
          .samples("ktrdr_operations_total")
          .forEach(s -> labelled.add(s.label("operation_type")));
      assertThat(labelled).hasSize(OperationTracker.MAX_TYPES + 1).contains("other", "backtest-0");
      assertThat(scrape.value("ktrdr_operations_total", labels("other", "completed")))
          .isEqualTo(20);
      assertThat(log.messages(ch.qos.logback.classic.Level.WARN))
          .containsExactly(
              "More than 64 operation types; 'backtest-64' and later new types are recorded as"
                  + " operation_type=\"other\". Use a small fixed set of types (the id or symbol"
                  + " belongs in the operation id)");
      // The span keeps the real type.
      ReceivedSpan span = receiver.awaitSpan("operation.other");
      assertThat(span.attribute("operation.type")).startsWith("backtest-");
    }
  }
}
