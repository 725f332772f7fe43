package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.Scrape;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KtrdrTelemetryTest {

  private static Scrape scrape(KtrdrTelemetry telemetry) throws IOException {
    return Scrape.parse(scrapeText(telemetry));
  }

  private static String scrapeText(KtrdrTelemetry telemetry) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, telemetry.prometheusRegistry().scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  private static KtrdrTelemetryBuilder builder(Map<String, String> env) {
    return KtrdrTelemetry.builder().environment(env).shutdownHook(false);
  }

  @Test
  void targetInfoCarriesTheServiceContextAndNoCommandLine() throws IOException {
    try (KtrdrTelemetry telemetry =
        builder(
                Map.of(
                    "OTEL_RESOURCE_ATTRIBUTES",
                    "process.command_line=java -Dpassword=hunter2 -jar app.jar,team=research"))
            .serviceName("ktrdr-api")
            .serviceVersion("1.2.3")
            .deploymentEnvironment("staging")
            .build()) {
      Map<String, String> labels = scrape(telemetry).samples("target_info").get(0).labels();

      assertThat(labels)
          .containsEntry("service_name", "ktrdr-api")
          .containsEntry("service_version", "1.2.3")
          .containsEntry("deployment_environment_name", "staging")
          .containsEntry("team", "research")
          .doesNotContainKeys(
              "process_command_line",
              "process_command_args",
              "process_command",
              "process_executable_path");
      assertThat(labels.values()).noneMatch(v -> v.contains("hunter2"));
    }
  }

  @Test
  void standardVariablesOverrideTheCodesDefaults() throws IOException {
    try (KtrdrTelemetry telemetry =
        builder(
                Map.of(
                    "OTEL_SERVICE_NAME", "renamed",
                    "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=prod",
                    "KTRDR_SERVICE_VERSION", "9.9.9"))
            .serviceName("ktrdr-api")
            .serviceVersion("1.2.3")
            .build()) {
      assertThat(scrape(telemetry).samples("target_info").get(0).labels())
          .containsEntry("service_name", "renamed")
          .containsEntry("deployment_environment_name", "prod")
          .containsEntry("service_version", "9.9.9");
    }
  }

  @Test
  void jvmAndProcessMetricsUseTheStandardNamesOnce() throws IOException {
    try (KtrdrTelemetry telemetry = builder(Map.of()).serviceName("jvm-test").build()) {
      Scrape scrape = scrape(telemetry);

      // Scrape.parse fails if a family is declared twice.
      assertThat(scrape.types())
          .containsEntry("process_cpu_seconds_total", "counter")
          .containsEntry("process_resident_memory_bytes", "gauge")
          .containsEntry("process_open_fds", "gauge")
          .containsEntry("process_start_time_seconds", "gauge")
          .containsEntry("jvm_memory_used_bytes", "gauge")
          .containsEntry("jvm_memory_pool_used_bytes", "gauge")
          .containsEntry("jvm_gc_collection_seconds", "summary")
          .containsEntry("jvm_threads_current", "gauge")
          .containsEntry("jvm_classes_currently_loaded", "gauge");
      assertThat(scrape.samples("jvm_memory_used_bytes"))
          .extracting(s -> s.label("area"))
          .containsExactlyInAnyOrder("heap", "nonheap");
    }
  }

  @Test
  void targetInfoHasAHelpLineForPromtool() throws IOException {
    try (KtrdrTelemetry telemetry = builder(Map.of()).serviceName("helped").build()) {
      String text = scrapeText(telemetry);
      assertThat(text).contains("# HELP target_info Target metadata\n# TYPE target_info gauge\n");
    }
  }

  @Test
  void jvmMetricsCanBeTurnedOff() throws IOException {
    try (KtrdrTelemetry telemetry =
        builder(Map.of("KTRDR_JVM_METRICS_ENABLED", "false")).serviceName("no-jvm").build()) {
      assertThat(scrape(telemetry).types().keySet())
          .noneMatch(name -> name.startsWith("jvm_") || name.startsWith("process_"))
          .contains("target_info");
    }
  }

  @Test
  void scopeLabelsCanBeTurnedOff() throws IOException {
    try (KtrdrTelemetry scoped = builder(Map.of()).serviceName("scoped").build();
        KtrdrTelemetry unscoped =
            builder(Map.of("KTRDR_METRICS_SCOPE_LABELS_ENABLED", "false"))
                .serviceName("unscoped")
                .build()) {
      for (KtrdrTelemetry telemetry : List.of(scoped, unscoped)) {
        telemetry.meter("ktrdr-app").counterBuilder("ktrdr.backtests").build().add(1);
      }
      assertThat(scrapeText(scoped))
          .contains("ktrdr_backtests_total{otel_scope_name=\"ktrdr-app\"");
      assertThat(scrapeText(unscoped))
          .contains("ktrdr_backtests_total 1")
          .contains("target_info{")
          .doesNotContain("otel_scope_");
    }
  }

  @Test
  void applicationMetricsAreServedWithTheRest() throws IOException {
    try (KtrdrTelemetry telemetry = builder(Map.of()).serviceName("custom").build()) {
      telemetry
          .meter("ktrdr-app")
          .counterBuilder("ktrdr.backtests")
          .build()
          .add(3, io.opentelemetry.api.common.Attributes.empty());

      Scrape scrape = scrape(telemetry);

      assertThat(scrape.value("ktrdr_backtests_total", Map.of())).isEqualTo(3);
      assertThat(
              scrape.value("ktrdr_telemetry_errors_total", Map.of("component", "metrics-scrape")))
          .isZero();
    }
  }

  @Test
  void sdkDisabledStillServesJvmMetrics() throws IOException {
    try (KtrdrTelemetry telemetry =
        builder(Map.of("OTEL_SDK_DISABLED", "true")).serviceName("off").build()) {
      assertThat(scrape(telemetry).types()).containsKey("jvm_memory_used_bytes");
    }
  }

  @Test
  void aWorkerIdBecomesTheServiceInstanceId() throws IOException {
    try (KtrdrTelemetry telemetry =
        builder(Map.of("KTRDR_WORKER_ID", "backtest-worker-7"))
            .serviceName("ktrdr-worker")
            .build()) {
      assertThat(scrape(telemetry).samples("target_info").get(0).labels())
          .containsEntry("service_instance_id", "backtest-worker-7");
      assertThat(
              telemetry
                  .resource()
                  .getAttribute(
                      io.opentelemetry.api.common.AttributeKey.stringKey("service.instance.id")))
          .isEqualTo("backtest-worker-7");
    }
  }

  @Test
  void theSdksOwnMetricsUseConventionalNames() throws IOException {
    try (KtrdrTelemetry telemetry =
        builder(Map.of())
            .serviceName("self")
            .otlpEndpoint("http://127.0.0.1:1")
            .shutdownTimeout(java.time.Duration.ofSeconds(1))
            .build()) {
      telemetry.tracing().inSpan("one", io.opentelemetry.api.common.Attributes.empty(), () -> null);

      assertThat(scrape(telemetry).types().keySet())
          .contains("otel_sdk_span_started_total", "ktrdr_telemetry_dropped_total")
          .noneMatch(name -> name.equals("queueSize") || name.startsWith("otlp_exporter_"));
    }
  }

  @Test
  void metricsOnlySetupRecordsNoSpans() {
    try (KtrdrTelemetry telemetry =
        builder(Map.of()).serviceName("metrics-only").tracing(false).build()) {
      boolean recording =
          telemetry
              .tracing()
              .inSpan(
                  "unsampled",
                  io.opentelemetry.api.common.Attributes.empty(),
                  () -> io.opentelemetry.api.trace.Span.current().isRecording());
      assertThat(telemetry.tracingEnabled()).isFalse();
      assertThat(recording).isFalse();
    }
  }

  @Test
  void theCardinalityLimitBoundsSeriesAndFoldsTheRestIntoOverflow() throws IOException {
    try (KtrdrTelemetry telemetry =
        builder(Map.of("OTEL_JAVA_METRICS_CARDINALITY_LIMIT", "5"))
            .serviceName("limited")
            .build()) {
      var counter = telemetry.meter("test").counterBuilder("ktrdr.things").build();
      for (int i = 0; i < 20; i++) {
        counter.add(
            1,
            io.opentelemetry.api.common.Attributes.of(
                io.opentelemetry.api.common.AttributeKey.stringKey("thing"), "t" + i));
      }

      var samples = scrape(telemetry).samples("ktrdr_things_total");
      assertThat(samples).hasSize(5);
      assertThat(samples)
          .anySatisfy(s -> assertThat(s.labels()).containsEntry("otel_metric_overflow", "true"));
      assertThat(samples.stream().mapToDouble(s -> s.value()).sum()).isEqualTo(20);
    }
  }

  @Test
  void aLimitAboveTheDefaultIsHonoured() throws IOException {
    try (KtrdrTelemetry telemetry =
        builder(Map.of("OTEL_JAVA_METRICS_CARDINALITY_LIMIT", "5000"))
            .serviceName("wide")
            .build()) {
      var counter = telemetry.meter("test").counterBuilder("ktrdr.things").build();
      for (int i = 0; i < 3000; i++) {
        counter.add(
            1,
            io.opentelemetry.api.common.Attributes.of(
                io.opentelemetry.api.common.AttributeKey.stringKey("thing"), "t" + i));
      }

      assertThat(scrape(telemetry).samples("ktrdr_things_total")).hasSize(3000);
    }
  }

  @Test
  void closeIsIdempotentAndStopsEverything() {
    KtrdrTelemetry telemetry =
        builder(Map.of("KTRDR_METRICS_PORT", "0")).serviceName("close").build();
    String url = "http://127.0.0.1:" + telemetry.metricsServerPort().orElseThrow() + "/metrics";
    assertThat(Http.get(url).statusCode()).isEqualTo(200);

    telemetry.close();
    telemetry.close();

    assertThat(telemetry.prometheusRegistry().scrape().size()).isZero();
    assertThat(telemetry.tracing().tracer().spanBuilder("after").startSpan().isRecording())
        .as("the SDK is shut down")
        .isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Http.get(url))
        .as("the standalone server is stopped");
  }
}
