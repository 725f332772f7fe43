package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What each key does to the builder, without building anything. */
class EnvironmentLayerTest {

  private static KtrdrTelemetryBuilder applied(Map<String, String> env) {
    KtrdrTelemetryBuilder builder = KtrdrTelemetry.builder().environment(env);
    EnvironmentLayer.apply(builder);
    return builder;
  }

  @Test
  void everyKtrdrKeyReachesTheBuilder() {
    KtrdrTelemetryBuilder builder =
        applied(
            Map.ofEntries(
                Map.entry("KTRDR_ENVIRONMENT", "staging"),
                Map.entry("KTRDR_SERVICE_VERSION", "1.2.3"),
                Map.entry("KTRDR_JVM_METRICS_ENABLED", "false"),
                Map.entry("KTRDR_METRICS_USERNAME", "prometheus"),
                Map.entry("KTRDR_METRICS_PASSWORD", "s3cret"),
                Map.entry("KTRDR_METRICS_HOST", "0.0.0.0"),
                Map.entry("KTRDR_METRICS_PORT", "9500"),
                Map.entry("KTRDR_TRACING_ENABLED", "false"),
                Map.entry("KTRDR_WORKER_ID", "w-1"),
                Map.entry("KTRDR_LOGS_OTLP_ENABLED", "true"),
                Map.entry("KTRDR_LOG_LEVEL", "debug"),
                Map.entry("KTRDR_LOG_FORMAT", "text")));
    assertThat(builder.deploymentEnvironment).isEqualTo("staging");
    assertThat(builder.serviceVersion).isEqualTo("1.2.3");
    assertThat(builder.jvmMetrics).isFalse();
    assertThat(builder.metricsAuth).hasToString("MetricsAuth{basic(user=prometheus)}");
    assertThat(builder.metricsServerHost).isEqualTo("0.0.0.0");
    assertThat(builder.metricsServerPort).isEqualTo(9500);
    assertThat(builder.tracing).isFalse();
    assertThat(builder.workerId).isEqualTo("w-1");
    assertThat(builder.exportLogs).isTrue();
    assertThat(applied(Map.of("KTRDR_METRICS_BEARER_TOKEN", "t")).metricsAuth)
        .hasToString("MetricsAuth{bearer}");
    assertThat(applied(Map.of()).metricsAuth).isSameAs(MetricsAuth.none());
    assertThat(applied(Map.of()).metricsServerPort).isEqualTo(-1);
  }

  @Test
  void histogramKeysReachTheBuilder() {
    KtrdrTelemetryBuilder builder =
        applied(
            Map.of(
                "KTRDR_HISTOGRAM_MODE", "Native",
                "KTRDR_HISTOGRAM_MODE_OVERRIDES", " a.b = classic ,c.d=BOTH",
                "KTRDR_NATIVE_HISTOGRAM_MAX_BUCKETS", "2",
                "KTRDR_NATIVE_HISTOGRAM_MAX_SCALE", "-4"));
    assertThat(builder.histogramMode).isEqualTo(HistogramMode.NATIVE);
    assertThat(builder.histogramModeOverrides)
        .containsExactly(
            Map.entry("a.b", HistogramMode.CLASSIC), Map.entry("c.d", HistogramMode.BOTH));
    assertThat(builder.nativeHistogramMaxBuckets).isEqualTo(2);
    assertThat(builder.nativeHistogramMaxScale).isEqualTo(-4);
    KtrdrTelemetryBuilder defaults = applied(Map.of());
    assertThat(defaults.histogramMode).isEqualTo(HistogramMode.BOTH);
    assertThat(defaults.histogramModeOverrides).isEmpty();
    assertThat(defaults.nativeHistogramMaxBuckets).isEqualTo(160);
    assertThat(defaults.nativeHistogramMaxScale).isEqualTo(20);
  }

  @Test
  void traceKeepKeysReachTheBuilder() {
    KtrdrTelemetryBuilder builder =
        applied(
            Map.of(
                "KTRDR_TRACES_KEEP_ERRORS", "TRUE",
                "KTRDR_TRACES_KEEP_SLOWER_THAN", "500ms",
                "KTRDR_TRACES_BUFFER_MAX_SPANS", "100"));
    assertThat(builder.tracesKeepErrors).isTrue();
    assertThat(builder.tracesKeepSlowerThan).isEqualTo(java.time.Duration.ofMillis(500));
    assertThat(builder.tracesBufferMaxSpans).isEqualTo(100);
    assertThat(applied(Map.of("KTRDR_TRACES_KEEP_SLOWER_THAN", "2s")).tracesKeepSlowerThan)
        .isEqualTo(java.time.Duration.ofSeconds(2));
    KtrdrTelemetryBuilder defaults = applied(Map.of());
    assertThat(defaults.tracesKeepErrors).isFalse();
    assertThat(defaults.tracesKeepSlowerThan).isNull();
    assertThat(defaults.tracesBufferMaxSpans).isEqualTo(2048);
  }

  @Test
  void malformedHistogramOverridesAreRefused() {
    for (String value :
        List.of("a.b", "=native", "a.b=", "a.b=native=x", "a.*=native", "a?=both")) {
      assertThatThrownBy(() -> applied(Map.of("KTRDR_HISTOGRAM_MODE_OVERRIDES", value)))
          .as(value)
          .isInstanceOf(io.ktrdr.telemetry.config.ConfigException.class)
          .hasMessageStartingWith("KTRDR_HISTOGRAM_MODE_OVERRIDES=" + value + ": expected");
    }
  }

  @Test
  void prometheusExporterKeysDriveTheStandaloneServer() {
    assertThat(applied(Map.of("OTEL_METRICS_EXPORTER", "otlp, prometheus")).metricsServerPort)
        .isEqualTo(9464);
    assertThat(applied(Map.of("OTEL_METRICS_EXPORTER", "otlp")).metricsServerPort).isEqualTo(-1);
    KtrdrTelemetryBuilder both =
        applied(
            Map.of(
                "OTEL_EXPORTER_PROMETHEUS_PORT", "9500",
                "KTRDR_METRICS_PORT", "9500",
                "OTEL_EXPORTER_PROMETHEUS_HOST", "0.0.0.0"));
    assertThat(both.metricsServerPort).isEqualTo(9500);
    assertThat(both.metricsServerHost).isEqualTo("0.0.0.0");
    KtrdrTelemetryBuilder fromCode = KtrdrTelemetry.builder().metricsServerPort(0);
    fromCode.environment(Map.of("OTEL_METRICS_EXPORTER", "prometheus"));
    EnvironmentLayer.apply(fromCode);
    assertThat(fromCode.metricsServerPort).isZero();
  }

  @Test
  void otelKeysBecomePropertiesExceptThePrometheusServersOwn() {
    KtrdrTelemetryBuilder builder =
        KtrdrTelemetry.builder()
            .environment(
                Map.of(
                    "OTEL_SERVICE_NAME", " svc ",
                    "OTEL_BSP_SCHEDULE_DELAY", "50",
                    "OTEL_EXPORTER_PROMETHEUS_PORT", "0",
                    "OTEL_TRACES_SAMPLER", " ",
                    "KTRDR_PORT", "8000"));
    assertThat(EnvironmentLayer.apply(builder))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("otel.service.name", "svc", "otel.bsp.schedule.delay", "50"));
  }

  @Test
  void withoutAnInjectedEnvironmentOtelSystemPropertiesAreRead() {
    System.setProperty("otel.service.name", "from-property");
    try {
      assertThat(EnvironmentLayer.apply(KtrdrTelemetry.builder()))
          .containsEntry("otel.service.name", "from-property");
    } finally {
      System.clearProperty("otel.service.name");
    }
  }
}
