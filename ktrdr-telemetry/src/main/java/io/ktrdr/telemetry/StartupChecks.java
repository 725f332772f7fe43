package io.ktrdr.telemetry;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.LogRecordProcessor;
import io.opentelemetry.sdk.logs.ReadWriteLogRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settings that cannot take effect, each said once at start-up in a WARN line: export asked of an
 * SDK that {@code OTEL_SDK_DISABLED=true} turns off, log export without an endpoint, and log export
 * with no logging integration sending log records to the SDK (the last one a grace period after
 * start-up, since the integration is installed after the telemetry is built).
 */
final class StartupChecks {
  private static final Logger logger = LoggerFactory.getLogger(KtrdrTelemetry.class);

  /** How long after start-up a first log record must have reached the SDK. */
  static final Duration LOG_INTEGRATION_GRACE = Duration.ofSeconds(10);

  /** Runs the log-integration check {@link #LOG_INTEGRATION_GRACE} later, on a daemon thread. */
  static final Consumer<Runnable> AFTER_GRACE =
      check ->
          CompletableFuture.runAsync(
              check,
              CompletableFuture.delayedExecutor(
                  LOG_INTEGRATION_GRACE.toMillis(), TimeUnit.MILLISECONDS));

  private StartupChecks() {}

  /** Whether {@code OTEL_SDK_DISABLED=true} (autoconfigure then builds a no-op SDK). */
  static boolean sdkDisabled(Map<String, String> properties) {
    return "true"
        .equals(properties.getOrDefault("otel.sdk.disabled", "").trim().toLowerCase(Locale.ROOT));
  }

  /** Checks the whole configuration before the SDK is built; warns once per ineffective setting. */
  static void beforeBuild(KtrdrTelemetryBuilder options, Map<String, String> properties) {
    if (sdkDisabled(properties)) {
      List<String> asked = new ArrayList<>();
      for (String signal : List.of("traces", "logs", "metrics")) {
        String exporter = properties.getOrDefault("otel." + signal + ".exporter", "none");
        if (!exporter.equals("none")) {
          asked.add(signal + " exporter " + exporter);
        }
      }
      if (options.tracesKeepErrors || options.tracesKeepSlowerThan != null) {
        asked.add("KTRDR_TRACES_KEEP_*");
      }
      if (!asked.isEmpty()) {
        logger.warn(
            "OTEL_SDK_DISABLED=true turns the OpenTelemetry SDK off, so these settings take no"
                + " effect: {}. No spans or log records are recorded or exported, and /metrics"
                + " has only jvm_* and process_* series",
            String.join(", ", asked));
      }
      return;
    }
    if (options.exportLogs && "none".equals(properties.get("otel.logs.exporter"))) {
      logger.warn(
          "KTRDR_LOGS_OTLP_ENABLED=true (exportLogs) takes no effect: the logs exporter is none"
              + " (neither OTEL_EXPORTER_OTLP_ENDPOINT nor OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is set,"
              + " or OTEL_LOGS_EXPORTER=none)");
    }
  }

  /**
   * Watches the SDK's log record processors: when log export is on and no log record has reached
   * the SDK by the time {@code scheduler} runs the check, no logging integration is installed.
   */
  static final class LogIntegration {
    private final Consumer<Runnable> scheduler;
    private final AtomicBoolean watching = new AtomicBoolean();
    private final AtomicBoolean emitted = new AtomicBoolean();
    private final AtomicBoolean shutDown = new AtomicBoolean();

    LogIntegration(Consumer<Runnable> scheduler) {
      this.scheduler = scheduler;
    }

    /** Wraps a processor autoconfigure made (there is one only when log export is on). */
    LogRecordProcessor watch(LogRecordProcessor processor) {
      watching.set(true);
      return new LogRecordProcessor() {
        @Override
        public void onEmit(Context context, ReadWriteLogRecord logRecord) {
          emitted.set(true);
          processor.onEmit(context, logRecord);
        }

        @Override
        public CompletableResultCode shutdown() {
          shutDown.set(true);
          return processor.shutdown();
        }

        @Override
        public CompletableResultCode forceFlush() {
          return processor.forceFlush();
        }

        @Override
        public String toString() {
          return processor.toString();
        }
      };
    }

    /** Once the SDK is built: schedules the check if a processor is watched. */
    void schedule() {
      if (watching.get()) {
        scheduler.accept(this::check);
      }
    }

    private void check() {
      if (emitted.get() || shutDown.get()) {
        return;
      }
      logger.warn(
          "Log export is on (OTEL_LOGS_EXPORTER=otlp or KTRDR_LOGS_OTLP_ENABLED=true) but no log"
              + " record has reached the OpenTelemetry SDK since start-up: no logging integration"
              + " is installed. On logback, call KtrdrLogback.install(telemetry)"
              + " (ktrdr-telemetry-logback); other backends: docs/logging.md");
    }
  }
}
