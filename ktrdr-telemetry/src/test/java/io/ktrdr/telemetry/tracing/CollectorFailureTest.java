package io.ktrdr.telemetry.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.internal.export.ExportReporter;
import io.ktrdr.telemetry.javalin.TestApp;
import io.ktrdr.telemetry.testing.Await;
import io.ktrdr.telemetry.testing.HangingCollector;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.LogCapture;
import io.ktrdr.telemetry.testing.Scrape;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A collector that is down or hangs costs the application nothing but a log line per signal, and
 * every signal (spans, log records, metrics pushed over OTLP) is reported the same way.
 */
class CollectorFailureTest {
  private static final Map<String, String> FAST_EXPORT =
      Map.of(
          "OTEL_BSP_SCHEDULE_DELAY", "50",
          "OTEL_BLRP_SCHEDULE_DELAY", "50",
          "OTEL_METRICS_EXPORTER", "otlp",
          "OTEL_METRIC_EXPORT_INTERVAL", "100",
          "KTRDR_LOGS_OTLP_ENABLED", "true",
          "OTEL_EXPORTER_OTLP_TIMEOUT", "500");

  private static double errors(TestApp app, String component) {
    return Scrape.parse(Http.get(app.url("/metrics")).body())
        .value("ktrdr_telemetry_errors_total", Map.of("component", component));
  }

  private static void driveRequestsAndCheck(String endpoint) {
    try (LogCapture log = LogCapture.of(ExportReporter.class)) {
      TestApp app =
          TestApp.start(
              builder ->
                  builder
                      .serviceName("collector-down")
                      .otlpEndpoint(endpoint)
                      .environment(FAST_EXPORT)
                      .shutdownTimeout(Duration.ofSeconds(2)),
              plugin -> {});
      try {
        for (int i = 0; i < 200; i++) {
          assertThat(Http.get(app.url("/api/v1/data/S/1d")).statusCode()).isEqualTo(200);
          app.telemetry
              .openTelemetry()
              .getLogsBridge()
              .get("test")
              .logRecordBuilder()
              .setBody("a log record")
              .emit();
        }
        for (String component : List.of("span-export", "log-export", "metric-export")) {
          Await.until(
              component + " failures counted",
              Duration.ofSeconds(20),
              () -> errors(app, component) > 0);
        }
        Scrape scrape = Scrape.parse(Http.get(app.url("/metrics")).body());
        for (String signal : List.of("spans", "logs", "metrics")) {
          assertThat(
                  scrape
                      .samples(
                          "ktrdr_telemetry_dropped_total",
                          s ->
                              signal.equals(s.label("signal"))
                                  && List.of("export_failed", "timeout")
                                      .contains(s.label("reason")))
                      .stream()
                      .mapToDouble(Scrape.Sample::value)
                      .sum())
              .as("%s dropped", signal)
              .isPositive();
        }
      } finally {
        app.close();
      }
      // One line when each signal's outage starts; the next only after a minute of outage.
      assertThat(log.messages(Level.WARN))
          .hasSize(3)
          .anySatisfy(m -> assertThat(m).startsWith("Exporting spans failed ("))
          .anySatisfy(m -> assertThat(m).startsWith("Exporting log records failed ("))
          .anySatisfy(m -> assertThat(m).startsWith("Exporting metrics failed ("));
    }
  }

  @Test
  @Timeout(60)
  void aCollectorThatIsDownIsReportedOncePerSignalAndCostsNothing() {
    driveRequestsAndCheck(HangingCollector.closedEndpoint());
  }

  @Test
  @Timeout(60)
  void aCollectorThatNeverAnswersIsReportedOncePerSignalAndCostsNothing() {
    try (HangingCollector collector = HangingCollector.start()) {
      driveRequestsAndCheck(collector.endpoint());
      assertThat(collector.connections()).isPositive();
    }
  }

  @Test
  void withoutAnEndpointNoExporterIsBuiltAndSpansStillExist() {
    try (KtrdrTelemetry without =
            KtrdrTelemetry.builder()
                .serviceName("no-endpoint")
                .environment(Map.of())
                .shutdownHook(false)
                .build();
        KtrdrTelemetry with =
            KtrdrTelemetry.builder()
                .serviceName("endpoint")
                .otlpEndpoint(HangingCollector.closedEndpoint())
                .environment(Map.of())
                .shutdownHook(false)
                .build()) {
      // The SDK describes its span processors: only the one with an endpoint exports over OTLP.
      assertThat(with.openTelemetry().toString()).contains("OtlpHttpSpanExporter");
      assertThat(without.openTelemetry().toString()).doesNotContain("SpanExporter");
      String traceId =
          without
              .tracing()
              .inSpan(
                  "work",
                  io.opentelemetry.api.common.Attributes.empty(),
                  KtrdrTracing::currentTraceId);
      assertThat(traceId).hasSize(32).isNotEqualTo("0".repeat(32));
    }
  }
}
