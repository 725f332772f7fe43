package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.ktrdr.telemetry.testing.Await;
import io.ktrdr.telemetry.testing.HangingCollector;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.LogCapture;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** The environment the library reads, and what it does with it. */
class EnvironmentTest {

  private static KtrdrTelemetryBuilder builder(Map<String, String> env) {
    return KtrdrTelemetry.builder().serviceName("from-code").environment(env).shutdownHook(false);
  }

  @Test
  void anInjectedEnvironmentIsTheWholeEnvironment() {
    System.setProperty("otel.service.name", "from-system-property");
    System.setProperty("otel.resource.attributes", "leaked=yes");
    try (KtrdrTelemetry telemetry = builder(Map.of()).build()) {
      assertThat(telemetry.resource().getAttribute(AttributeKey.stringKey("service.name")))
          .isEqualTo("from-code");
      assertThat(telemetry.resource().getAttribute(AttributeKey.stringKey("leaked"))).isNull();
    } finally {
      System.clearProperty("otel.service.name");
      System.clearProperty("otel.resource.attributes");
    }
  }

  @Test
  void withoutAnInjectedEnvironmentOtelSystemPropertiesCount() {
    System.setProperty("otel.service.name", "from-system-property");
    try (KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder().serviceName("from-code").shutdownHook(false).build()) {
      assertThat(telemetry.resource().getAttribute(AttributeKey.stringKey("service.name")))
          .isEqualTo("from-system-property");
    } finally {
      System.clearProperty("otel.service.name");
    }
  }

  @Test
  void thePrometheusExporterKeysDriveTheStandaloneServer() {
    try (KtrdrTelemetry telemetry =
        builder(
                Map.of(
                    "OTEL_METRICS_EXPORTER", "prometheus",
                    "OTEL_EXPORTER_PROMETHEUS_PORT", "0",
                    "OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1"))
            .build()) {
      int port = telemetry.metricsServerPort().orElseThrow();
      assertThat(Http.get("http://127.0.0.1:" + port + "/metrics").body()).contains("target_info");
      // Served by this library, not by a second server of OpenTelemetry's own.
      assertThat(telemetry.openTelemetry().toString()).doesNotContain("PrometheusHttpServer");
    }
  }

  @Test
  void theConsoleTraceExporterPrintsSpans() {
    Logger jul = Logger.getLogger("io.opentelemetry.exporter.logging.LoggingSpanExporter");
    List<String> lines = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            lines.add(
                String.valueOf(record.getMessage())
                    + " "
                    + List.of(
                        record.getParameters() == null ? new Object[0] : record.getParameters()));
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    jul.addHandler(capture);
    try (KtrdrTelemetry telemetry = builder(Map.of("OTEL_TRACES_EXPORTER", "console")).build()) {
      telemetry.tracing().inSpan("printed-span", Attributes.empty(), () -> null);
      Await.until(
          "the span printed",
          Duration.ofSeconds(10),
          () -> String.join("\n", lines).contains("printed-span"));
    } finally {
      jul.removeHandler(capture);
    }
  }

  @Test
  void theStartUpLineNamesTheEndpointWithoutSecrets() {
    try (LogCapture log = LogCapture.of(KtrdrTelemetry.class);
        KtrdrTelemetry telemetry =
            builder(Map.of())
                .otlpEndpoint("http://collector-user:pa55@127.0.0.1:4318/base")
                .build()) {
      assertThat(log.messages(Level.INFO))
          .anySatisfy(
              line ->
                  assertThat(line)
                      .contains("traces exporter=otlp http/protobuf http://127.0.0.1:4318/base")
                      .doesNotContain("pa55")
                      .doesNotContain("collector-user")
                      .doesNotContain("@"));
    }
  }

  @Test
  void theStartUpLineNamesTheMetricsAuthSchemeButNotTheUser() {
    try (LogCapture log = LogCapture.of(KtrdrTelemetry.class)) {
      builder(Map.of()).metricsAuth(MetricsAuth.basic("scrape-admin", "pa55word")).build().close();
      builder(Map.of()).metricsAuth(MetricsAuth.bearer("t0ken-value")).build().close();
      List<String> ready =
          log.messages(Level.INFO).stream().filter(l -> l.startsWith("Telemetry ready:")).toList();
      assertThat(ready).hasSize(2);
      assertThat(ready.get(0)).contains("metrics auth=basic,");
      assertThat(ready.get(1)).contains("metrics auth=bearer,");
      assertThat(ready)
          .allSatisfy(
              line ->
                  assertThat(line)
                      .doesNotContain("scrape-admin")
                      .doesNotContain("pa55word")
                      .doesNotContain("t0ken-value")
                      .doesNotContain("user="));
    }
  }

  @Test
  void closeIsFastWhenNothingIsPendingAndBoundedWhenTheCollectorHangs() {
    KtrdrTelemetry idle =
        builder(Map.of("KTRDR_METRICS_PORT", "0"))
            .otlpEndpoint(HangingCollector.closedEndpoint())
            .build();
    long start = System.nanoTime();
    idle.close();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(500));

    try (HangingCollector collector = HangingCollector.start()) {
      KtrdrTelemetry pending =
          builder(Map.of("OTEL_BSP_SCHEDULE_DELAY", "60000"))
              .otlpEndpoint(collector.endpoint())
              .shutdownTimeout(Duration.ofSeconds(1))
              .build();
      pending.tracing().inSpan("pending", Attributes.empty(), () -> null);
      start = System.nanoTime();
      pending.close();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }
  }
}
