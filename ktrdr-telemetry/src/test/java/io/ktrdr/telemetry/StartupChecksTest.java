package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.ktrdr.telemetry.testing.LogCapture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Settings that cannot take effect are said once at start-up, on a real SDK; the start-up line says
 * what is really on. The no-logging-integration check runs when the test runs it (the scheduler is
 * injected), never after a sleep.
 */
class StartupChecksTest {
  private static final String NO_COLLECTOR = "http://127.0.0.1:1";

  private final List<Runnable> scheduled = new ArrayList<>();

  private KtrdrTelemetry build(Map<String, String> environment) {
    KtrdrTelemetryBuilder builder =
        KtrdrTelemetry.builder().serviceName("checks").environment(environment);
    builder.startupCheckScheduler = scheduled::add;
    return builder.build();
  }

  private static List<String> warnings(LogCapture log, String containing) {
    return log.messages(Level.WARN).stream().filter(m -> m.contains(containing)).toList();
  }

  private static String readyLine(LogCapture log) {
    List<String> ready =
        log.messages(Level.INFO).stream().filter(m -> m.startsWith("Telemetry ready:")).toList();
    assertThat(ready).hasSize(1);
    return ready.get(0);
  }

  @Test
  void aDisabledSdkWithExportConfiguredWarnsOnceAndTheReadyLineSaysTracingIsOff() {
    try (LogCapture log = LogCapture.of(KtrdrTelemetry.class);
        KtrdrTelemetry telemetry =
            build(
                Map.of(
                    "OTEL_SDK_DISABLED", "true",
                    "OTEL_EXPORTER_OTLP_ENDPOINT", NO_COLLECTOR,
                    "KTRDR_LOGS_OTLP_ENABLED", "true"))) {
      assertThat(warnings(log, "OTEL_SDK_DISABLED"))
          .containsExactly(
              "OTEL_SDK_DISABLED=true turns the OpenTelemetry SDK off, so these settings take no"
                  + " effect: traces exporter otlp, logs exporter otlp. No spans or log records are"
                  + " recorded or exported, and /metrics has only jvm_* and process_* series");
      assertThat(readyLine(log))
          .contains("tracing=off (OTEL_SDK_DISABLED=true), traces exporter=none,");
      assertThat(scheduled).as("no log processor on a disabled SDK, so nothing to check").isEmpty();
    }
  }

  @Test
  void aDisabledSdkWithNothingToExportSaysNothing() {
    try (LogCapture log = LogCapture.of(KtrdrTelemetry.class);
        KtrdrTelemetry telemetry = build(Map.of("OTEL_SDK_DISABLED", "true"))) {
      assertThat(log.messages(Level.WARN)).isEmpty();
      assertThat(readyLine(log)).contains("tracing=off (OTEL_SDK_DISABLED=true)");
    }
  }

  @Test
  void theReadyLineNamesTheOtlpProtocol() {
    try (LogCapture log = LogCapture.of(KtrdrTelemetry.class);
        KtrdrTelemetry telemetry =
            build(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"))) {
      assertThat(readyLine(log))
          .contains("tracing=on, traces exporter=otlp http/protobuf http://127.0.0.1:4318,");
    }
    try (LogCapture log = LogCapture.of(KtrdrTelemetry.class);
        KtrdrTelemetry telemetry =
            build(
                Map.of(
                    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                    "grpc",
                    "OTEL_TRACES_EXPORTER",
                    "otlp"))) {
      assertThat(readyLine(log))
          .contains("tracing=on, traces exporter=otlp grpc http://localhost:4317,");
    }
    try (LogCapture log = LogCapture.of(KtrdrTelemetry.class);
        KtrdrTelemetry telemetry = build(Map.of("KTRDR_TRACING_ENABLED", "false"))) {
      assertThat(readyLine(log)).contains("tracing=off, traces exporter=none,");
    }
  }

  @Test
  void logExportWithNoLoggingIntegrationIsSaidOnceWhenTheCheckRuns() {
    try (LogCapture log = LogCapture.of(KtrdrTelemetry.class);
        KtrdrTelemetry telemetry =
            build(
                Map.of(
                    "OTEL_EXPORTER_OTLP_ENDPOINT", NO_COLLECTOR, "OTEL_LOGS_EXPORTER", "otlp"))) {
      assertThat(scheduled).hasSize(1);
      assertThat(warnings(log, "Log export is on")).isEmpty();
      scheduled.get(0).run();
      assertThat(warnings(log, "Log export is on"))
          .containsExactly(
              "Log export is on (OTEL_LOGS_EXPORTER=otlp or KTRDR_LOGS_OTLP_ENABLED=true) but no"
                  + " log record has reached the OpenTelemetry SDK since start-up: no logging"
                  + " integration is installed. On logback, call KtrdrLogback.install(telemetry)"
                  + " (ktrdr-telemetry-logback); other backends: docs/logging.md");
    }
  }

  @Test
  void aLogRecordBeforeTheCheckMeansAnIntegrationIsInstalled() {
    try (LogCapture log = LogCapture.of(KtrdrTelemetry.class);
        KtrdrTelemetry telemetry =
            build(
                Map.of(
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    NO_COLLECTOR,
                    "KTRDR_LOGS_OTLP_ENABLED",
                    "true"))) {
      assertThat(scheduled).hasSize(1);
      telemetry
          .openTelemetry()
          .getLogsBridge()
          .get("a-logging-integration")
          .logRecordBuilder()
          .setBody("hello")
          .emit();
      scheduled.get(0).run();
      assertThat(warnings(log, "Log export is on")).isEmpty();
    }
  }

  @Test
  void aTelemetryClosedBeforeTheCheckSaysNothing() {
    try (LogCapture log = LogCapture.of(KtrdrTelemetry.class)) {
      build(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", NO_COLLECTOR, "OTEL_LOGS_EXPORTER", "otlp"))
          .close();
      assertThat(scheduled).hasSize(1);
      scheduled.get(0).run();
      assertThat(warnings(log, "Log export is on")).isEmpty();
    }
  }

  @Test
  void withoutLogExportNothingIsChecked() {
    try (LogCapture log = LogCapture.of(KtrdrTelemetry.class);
        KtrdrTelemetry telemetry = build(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", NO_COLLECTOR))) {
      assertThat(scheduled).isEmpty();
      assertThat(log.messages(Level.WARN)).isEmpty();
    }
  }

  @Test
  void logExportAskedWithoutAnEndpointIsSaid() {
    try (LogCapture log = LogCapture.of(KtrdrTelemetry.class);
        KtrdrTelemetry telemetry = build(Map.of("KTRDR_LOGS_OTLP_ENABLED", "true"))) {
      assertThat(warnings(log, "KTRDR_LOGS_OTLP_ENABLED"))
          .containsExactly(
              "KTRDR_LOGS_OTLP_ENABLED=true (exportLogs) takes no effect: the logs exporter is none"
                  + " (neither OTEL_EXPORTER_OTLP_ENDPOINT nor OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is"
                  + " set, or OTEL_LOGS_EXPORTER=none)");
      assertThat(scheduled).isEmpty();
    }
  }
}
