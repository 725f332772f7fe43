package io.ktrdr.telemetry.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.ktrdr.telemetry.internal.ReportingSpanExporter;
import io.ktrdr.telemetry.javalin.TestApp;
import io.ktrdr.telemetry.testing.HangingCollector;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.LogCapture;
import io.ktrdr.telemetry.testing.Scrape;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A collector that is down or hangs must cost the application nothing but a log line. */
class CollectorFailureTest {
  private static final Map<String, String> FAST_EXPORT =
      Map.of(
          "OTEL_BSP_SCHEDULE_DELAY", "50",
          "OTEL_EXPORTER_OTLP_TIMEOUT", "500");

  private static void driveRequestsAndCheck(String endpoint) {
    try (LogCapture log = LogCapture.of(ReportingSpanExporter.class)) {
      long started = System.nanoTime();
      TestApp app =
          TestApp.start(
              builder ->
                  builder
                      .serviceName("collector-down")
                      .otlpEndpoint(endpoint)
                      .environment(FAST_EXPORT)
                      .shutdownTimeout(Duration.ofSeconds(2)),
              plugin -> plugin.excludedPaths = List.of("/metrics"));
      try {
        for (int i = 0; i < 200; i++) {
          assertThat(Http.get(app.url("/api/v1/data/S/1d")).statusCode()).isEqualTo(200);
          if (i % 50 == 0) {
            sleep(300); // let several export attempts fail while requests keep coming
          }
        }
        sleep(1500);
        Scrape scrape = Scrape.parse(Http.get(app.url("/metrics")).body());
        assertThat(
                scrape.value(
                    "ktrdr_telemetry_spans_dropped_total", Map.of("reason", "export_failed")))
            .isPositive();
        assertThat(scrape.value("ktrdr_telemetry_errors_total", Map.of("component", "span-export")))
            .isPositive();
      } finally {
        long closing = System.nanoTime();
        app.close();
        assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(Duration.ofSeconds(5));
      }
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
      assertThat(log.messages(Level.WARN))
          .hasSize(1)
          .allSatisfy(m -> assertThat(m).startsWith("Exporting spans failed ("));
    }
  }

  @Test
  @Timeout(60)
  void aCollectorThatIsDownIsReportedOnceAndCostsNothing() {
    driveRequestsAndCheck(HangingCollector.closedEndpoint());
  }

  @Test
  @Timeout(60)
  void aCollectorThatNeverAnswersIsReportedOnceAndCostsNothing() {
    try (HangingCollector collector = new HangingCollector()) {
      driveRequestsAndCheck(collector.endpoint());
      assertThat(collector.connections()).isPositive();
    }
  }

  @Test
  @Timeout(30)
  void withoutAnEndpointNothingConnectsAndSpansStillExist() {
    try (HangingCollector collector = new HangingCollector();
        TestApp app =
            TestApp.start(
                builder -> builder.serviceName("no-endpoint"),
                plugin -> {},
                (config, telemetry) ->
                    config.routes.get(
                        "/trace-id", ctx -> ctx.result(KtrdrTracing.currentTraceId())))) {
      String traceId = Http.get(app.url("/trace-id")).body();

      assertThat(traceId).hasSize(32).isNotEqualTo("0".repeat(32));
      sleep(300);
      assertThat(collector.connections()).isZero();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
