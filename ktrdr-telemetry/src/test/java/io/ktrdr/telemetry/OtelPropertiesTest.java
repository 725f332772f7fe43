package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.ktrdr.telemetry.testing.LogCapture;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * What the library hands OpenTelemetry's autoconfigure on top of the process environment: its own
 * view wins, and a process key outside that view reads as unset.
 */
class OtelPropertiesTest {
  private static Properties system(String... pairs) {
    Properties properties = new Properties();
    for (int i = 0; i < pairs.length; i += 2) {
      properties.setProperty(pairs[i], pairs[i + 1]);
    }
    return properties;
  }

  @Test
  void theLibrarysViewWinsAndOtherProcessKeysReadAsUnset() {
    Map<String, String> overrides =
        OtelProperties.overrides(
            Map.of("otel.bsp.schedule.delay", "50"),
            Map.of(
                "OTEL_BSP_SCHEDULE_DELAY", "9000",
                "OTEL_RESOURCE_ATTRIBUTES_POD_NAME", "pod-1",
                "PATH", "/usr/bin"),
            system("otel.span.attribute-count-limit", "7", "user.home", "/root"));
    assertThat(overrides)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "otel.bsp.schedule.delay", "50",
                "otel.resource.attributes.pod.name", "",
                "otel.span.attribute.count.limit", ""));
  }

  @Test
  void aPerSignalKeyFallsBackToTheSharedValueAndTextKeysToTheSdkDefault() {
    Map<String, String> overrides =
        OtelProperties.overrides(
            Map.of("otel.exporter.otlp.timeout", "5s", "otel.exporter.otlp.headers", "a=b"),
            Map.of(
                "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "1s",
                "OTEL_EXPORTER_OTLP_LOGS_HEADERS", "c=d",
                "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "gzip",
                "OTEL_TRACES_SAMPLER", "always_off"),
            new Properties());
    assertThat(overrides)
        .containsEntry("otel.exporter.otlp.traces.timeout", "5s")
        .containsEntry("otel.exporter.otlp.logs.headers", "a=b")
        .containsEntry("otel.exporter.otlp.metrics.compression", "none")
        .containsEntry("otel.traces.sampler", "parentbased_always_on");
  }

  @Test
  void textKeysWithoutAnUnsetValueAreNamedInsteadOfOverridden() {
    Map<String, String> properties = Map.of("otel.exporter.otlp.endpoint", "http://c:4318");
    Map<String, String> environment =
        Map.of(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://elsewhere:4318/v1/traces",
            "OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem",
            "OTEL_EXPORTER_OTLP_ENDPOINT", "http://process:4318");
    assertThat(OtelProperties.overrides(properties, environment, new Properties()))
        .isEqualTo(properties);
    assertThat(OtelProperties.leakedText(properties, environment, new Properties()))
        .containsExactly("otel.exporter.otlp.certificate", "otel.exporter.otlp.traces.endpoint");
  }

  @Test
  void aProcessPropertyOutsideAnInjectedEnvironmentDoesNotReachTheSdk() {
    System.setProperty("otel.span.attribute.count.limit", "lots");
    try {
      // Injected: the property is not part of the environment, autoconfigure reads it as unset.
      KtrdrTelemetry.builder()
          .serviceName("svc")
          .environment(Map.of())
          .shutdownHook(false)
          .build()
          .close();
      // Not injected: it is, and its bad value fails start-up naming it.
      assertThatThrownBy(
              () -> KtrdrTelemetry.builder().serviceName("svc").shutdownHook(false).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("otel.span.attribute.count.limit=lots");
    } finally {
      System.clearProperty("otel.span.attribute.count.limit");
    }
  }

  @Test
  void aLeakedTextPropertyIsNamedInAWarning() {
    System.setProperty("otel.exporter.otlp.certificate", "/nowhere/ca.pem");
    try (LogCapture log = LogCapture.of(KtrdrTelemetry.class);
        KtrdrTelemetry telemetry =
            KtrdrTelemetry.builder()
                .serviceName("svc")
                .environment(Map.of())
                .shutdownHook(false)
                .build()) {
      assertThat(log.messages(Level.WARN))
          .containsExactly(
              "An environment was injected, but OpenTelemetry's autoconfigure also reads these"
                  + " process settings, which have no 'unset' value: otel.exporter.otlp.certificate");
    } finally {
      System.clearProperty("otel.exporter.otlp.certificate");
    }
  }

  @Test
  void processMetricExportChoicesOutsideAnInjectedEnvironmentReadAsTheSdkDefaults() {
    Map<String, String> environment =
        Map.of(
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta",
            "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
                "base2_exponential_bucket_histogram");
    assertThat(OtelProperties.overrides(Map.of(), environment, new Properties()))
        .containsEntry("otel.exporter.otlp.metrics.temporality.preference", "cumulative")
        .containsEntry(
            "otel.exporter.otlp.metrics.default.histogram.aggregation",
            "explicit_bucket_histogram");
    assertThat(OtelProperties.leakedText(Map.of(), environment, new Properties())).isEmpty();
  }

  @Test
  void aProcessTemporalityOutsideAnInjectedEnvironmentDoesNotFailStartUp() {
    System.setProperty("otel.exporter.otlp.metrics.temporality.preference", "delta");
    System.setProperty(
        "otel.exporter.otlp.metrics.default.histogram.aggregation",
        "base2_exponential_bucket_histogram");
    try {
      // A blank value, which is what "unset" used to be, fails autoconfigure's OTLP metric
      // exporter ("Unrecognized aggregation temporality: ").
      KtrdrTelemetry.builder()
          .serviceName("svc")
          .environment(
              Map.of(
                  "OTEL_METRICS_EXPORTER", "otlp",
                  "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"))
          .shutdownHook(false)
          .build()
          .close();
    } finally {
      System.clearProperty("otel.exporter.otlp.metrics.temporality.preference");
      System.clearProperty("otel.exporter.otlp.metrics.default.histogram.aggregation");
    }
  }
}
