package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Larger span export batches by default, each key still the user's to set. */
class SpanExportDefaultsTest {
  private static Map<String, String> properties(Map<String, String> otel) {
    return OtelProperties.resolve(KtrdrTelemetry.builder().serviceName("svc"), otel);
  }

  @Test
  void batchesOf2048FromAQueueOf8192ByDefault() {
    assertThat(properties(Map.of()))
        .containsEntry("otel.bsp.max.export.batch.size", "2048")
        .containsEntry("otel.bsp.max.queue.size", "8192");
  }

  @Test
  void theUsersSettingsWinAndASmallerQueueCapsTheBatch() {
    assertThat(properties(Map.of("otel.bsp.max.queue.size", "512")))
        .containsEntry("otel.bsp.max.queue.size", "512")
        .containsEntry("otel.bsp.max.export.batch.size", "512");
    assertThat(properties(Map.of("otel.bsp.max.export.batch.size", "100")))
        .containsEntry("otel.bsp.max.export.batch.size", "100")
        .containsEntry("otel.bsp.max.queue.size", "8192");
  }

  @Test
  void theSdkRunsWithThem() {
    try (KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("svc")
            .otlpEndpoint("http://127.0.0.1:9")
            .jvmMetrics(false)
            .shutdownHook(false)
            .environment(Map.of())
            .build()) {
      telemetry.openTelemetry().getTracer("test").spanBuilder("span").startSpan().end();
      double capacity = -1;
      for (MetricSnapshot snapshot : telemetry.prometheusRegistry().scrape()) {
        if (snapshot
            .getMetadata()
            .getPrometheusName()
            .startsWith("otel_sdk_processor_span_queue_capacity")) {
          capacity = ((GaugeSnapshot) snapshot).getDataPoints().get(0).getValue();
        }
      }
      assertThat(capacity)
          .as(
              "otel_sdk_processor_span_queue_capacity in %s",
              telemetry.prometheusRegistry().scrape())
          .isEqualTo(8192);
    }
  }
}
