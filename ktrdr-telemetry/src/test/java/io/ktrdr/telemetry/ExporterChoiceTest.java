package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which OTLP exporters the library turns on, from the endpoints that are set. */
class ExporterChoiceTest {
  private static Map<String, String> properties(Map<String, String> otel) {
    return OtelProperties.resolve(
        KtrdrTelemetry.builder().serviceName("svc").exportLogs(true), otel);
  }

  @Test
  void aLogsEndpointAloneExportsLogsAndNoSpans() {
    assertThat(
            properties(Map.of("otel.exporter.otlp.logs.endpoint", "http://loki:3100/otlp/v1/logs")))
        .containsEntry("otel.logs.exporter", "otlp")
        .containsEntry("otel.traces.exporter", "none");
  }

  @Test
  void aTracesEndpointAloneExportsSpansAndNoLogs() {
    assertThat(
            properties(
                Map.of("otel.exporter.otlp.traces.endpoint", "http://jaeger:4318/v1/traces")))
        .containsEntry("otel.traces.exporter", "otlp")
        .containsEntry("otel.logs.exporter", "none");
  }

  @Test
  void theSharedEndpointExportsBothAndNoEndpointNeither() {
    assertThat(properties(Map.of("otel.exporter.otlp.endpoint", "http://collector:4318")))
        .containsEntry("otel.traces.exporter", "otlp")
        .containsEntry("otel.logs.exporter", "otlp");
    assertThat(properties(Map.of()))
        .containsEntry("otel.traces.exporter", "none")
        .containsEntry("otel.logs.exporter", "none");
  }

  @Test
  void logsAreNotExportedUnlessAsked() {
    assertThat(
            OtelProperties.resolve(
                KtrdrTelemetry.builder().serviceName("svc"),
                Map.of("otel.exporter.otlp.logs.endpoint", "http://loki:3100/otlp/v1/logs")))
        .containsEntry("otel.logs.exporter", "none");
  }
}
