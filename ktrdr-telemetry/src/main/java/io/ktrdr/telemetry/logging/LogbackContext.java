package io.ktrdr.telemetry.logging;

import ch.qos.logback.classic.LoggerContext;
import io.opentelemetry.instrumentation.logback.appender.v1_0.OpenTelemetryAppender;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/** The logback-specific part, loaded only when logback is the backend. */
final class LogbackContext {
  private LogbackContext() {}

  private static LoggerContext context() {
    return (LoggerContext) LoggerFactory.getILoggerFactory();
  }

  static void put(Map<String, String> fields) {
    LoggerContext context = context();
    fields.forEach(context::putProperty);
  }

  static void remove(List<String> keys) {
    LoggerContext context = context();
    for (String key : keys) {
      context.putProperty(key, null);
    }
  }

  static void installOtlpAppender(OpenTelemetrySdk sdk) {
    OpenTelemetryAppender.install(sdk);
  }
}
