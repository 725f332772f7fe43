package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.ktrdr.telemetry.testing.LogCapture;
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
                Map.entry("KTRDR_METRICS_SCOPE_LABELS_ENABLED", "false"),
                Map.entry("KTRDR_METRICS_USERNAME", "prometheus"),
                Map.entry("KTRDR_METRICS_PASSWORD", "s3cret"),
                Map.entry("KTRDR_METRICS_HOST", "0.0.0.0"),
                Map.entry("KTRDR_METRICS_PORT", "9500"),
                Map.entry("KTRDR_TRACING_ENABLED", "false"),
                Map.entry("KTRDR_WORKER_ID", "w-1"),
                Map.entry("KTRDR_LOGS_OTLP_ENABLED", "true")));
    assertThat(builder.deploymentEnvironment).isEqualTo("staging");
    assertThat(builder.serviceVersion).isEqualTo("1.2.3");
    assertThat(builder.jvmMetrics).isFalse();
    assertThat(builder.metricsScopeLabels).isFalse();
    assertThat(applied(Map.of()).metricsScopeLabels).isTrue();
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

  @Test
  void aMisspeltLibraryKeyIsNamedWithTheKeyItResembles() {
    try (LogCapture log = LogCapture.of(EnvironmentLayer.class)) {
      EnvironmentLayer.apply(
          KtrdrTelemetry.builder()
              .environment(
                  Map.of(
                      "KTRDR_METRICS_PROT", "9464",
                      // The application's own keys share the prefix and are not named.
                      "KTRDR_PORT", "8000",
                      "KTRDR_DATABASE_URL", "jdbc:h2:mem:x")));
      assertThat(log.messages(Level.WARN))
          .containsExactly(
              "KTRDR_* variables not read by ktrdr-telemetry that look like a misspelt library key:"
                  + " KTRDR_METRICS_PROT (KTRDR_METRICS_PORT?)");
    }
  }

  @Test
  void noWarningWhenEveryKeyIsRead() {
    try (LogCapture log = LogCapture.of(EnvironmentLayer.class)) {
      EnvironmentLayer.apply(
          KtrdrTelemetry.builder()
              .environment(Map.of("OTEL_SERVICE_NAME", "svc", "KTRDR_METRICS_PORT", "0")));
      assertThat(log.messages(Level.WARN)).isEmpty();
    }
  }

  @Test
  void otelKeysTheLibraryDoesNotReadAreLeftOutAndNamedInOneWarning() {
    try (LogCapture log = LogCapture.of(EnvironmentLayer.class)) {
      Map<String, String> properties =
          EnvironmentLayer.apply(
              KtrdrTelemetry.builder().environment(PlatformEnvironmentTest.operatorEnvironment()));
      assertThat(properties)
          .containsEntry("otel.service.name", "ktrdr-api")
          .containsKey("otel.resource.attributes")
          .doesNotContainKeys(
              "otel.resource.attributes.pod.name", "otel.node.ip", "otel.javaagent.enabled");
      assertThat(log.messages(Level.WARN)).hasSize(1);
      assertThat(log.messages(Level.WARN).get(0))
          .startsWith("OTEL_* variables not read by ktrdr-telemetry, ignored: ")
          .contains("OTEL_RESOURCE_ATTRIBUTES_POD_NAME, OTEL_RESOURCE_ATTRIBUTES_POD_UID (");
    }
  }

  @Test
  void logbackKeysAreLeftToKtrdrTelemetryLogbackWithoutAWarning() {
    try (LogCapture log = LogCapture.of(EnvironmentLayer.class)) {
      applied(Map.of("KTRDR_LOG_FORMAT", "xml", "KTRDR_LOG_LEVEL", "verbose"));
      assertThat(log.events()).isEmpty();
    }
  }

  @Test
  void onlyKeysAtMostTwoEditsFromALibraryKeyAreNearMisses() {
    assertThat(EnvironmentLayer.nearestLibraryKey("KTRDR_METRICS_PROT"))
        .hasValue("KTRDR_METRICS_PORT");
    assertThat(EnvironmentLayer.nearestLibraryKey("KTRDR_METRIC_PORT"))
        .hasValue("KTRDR_METRICS_PORT");
    assertThat(EnvironmentLayer.nearestLibraryKey("KTRDR_METRICS_PORTS"))
        .hasValue("KTRDR_METRICS_PORT");
    assertThat(EnvironmentLayer.nearestLibraryKey("KTRDR_METRICS_PORT")).isEmpty();
    assertThat(EnvironmentLayer.nearestLibraryKey("KTRDR_METRICS_PXRXX")).isEmpty();
    assertThat(EnvironmentLayer.nearestLibraryKey("KTRDR_DATABASE_URL")).isEmpty();
    assertThat(EnvironmentLayer.nearestLibraryKey("KTRDR_PORT")).isEmpty();
    // ktrdr-telemetry-logback's keys: known, so neither a near miss nor hidden by one.
    assertThat(EnvironmentLayer.nearestLibraryKey("KTRDR_LOG_FORMAT")).isEmpty();
    assertThat(EnvironmentLayer.nearestLibraryKey("KTRDR_LOG_FORMT")).contains("KTRDR_LOG_FORMAT");
  }

  @Test
  void editDistanceCountsInsertionsDeletionsAndSubstitutions() {
    assertThat(EnvironmentLayer.editDistance("", "abc")).isEqualTo(3);
    assertThat(EnvironmentLayer.editDistance("abc", "")).isEqualTo(3);
    assertThat(EnvironmentLayer.editDistance("kitten", "sitting")).isEqualTo(3);
    assertThat(EnvironmentLayer.editDistance("PORT", "PROT")).isEqualTo(2);
    assertThat(EnvironmentLayer.editDistance("abc", "abc")).isZero();
    assertThat(EnvironmentLayer.editDistance("ab", "abcd")).isEqualTo(2);
  }
}
