package io.ktrdr.telemetry.logging;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Connects logging to the telemetry. With logback as the SLF4J backend and the shipped {@code
 * io/ktrdr/telemetry/logging/logback-ktrdr.xml} included, every JSON log line then carries {@code
 * service.name}, {@code service.version}, {@code deployment.environment.name}, {@code worker_id}
 * (when set), the current {@code trace_id}/{@code span_id}/{@code trace_flags} and {@code
 * operation_id} (inside an operation).
 *
 * <p>{@link io.ktrdr.telemetry.KtrdrTelemetry} calls this at build; applications do not. Without
 * logback (another SLF4J backend) it only routes {@code java.util.logging} to SLF4J.
 */
public final class KtrdrLogging {
  /** The log field that identifies a worker. */
  public static final String WORKER_ID = "worker_id";

  private static final boolean LOGBACK = isLogbackBackend();

  private final List<String> properties;

  private KtrdrLogging(List<String> properties) {
    this.properties = properties;
  }

  private static boolean isLogbackBackend() {
    try {
      Class.forName("ch.qos.logback.classic.LoggerContext");
    } catch (ClassNotFoundException e) {
      return false;
    }
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    return factory.getClass().getName().equals("ch.qos.logback.classic.LoggerContext");
  }

  /**
   * Puts the service context into every log line and, when {@code exportLogs}, starts sending log
   * events over OTLP through the {@code KTRDR_OTLP} appender.
   *
   * @return a handle whose {@link #close()} removes the context again
   */
  public static KtrdrLogging install(
      Resource resource, String workerId, OpenTelemetrySdk sdk, boolean exportLogs) {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
    if (!LOGBACK) {
      return new KtrdrLogging(List.of());
    }
    Map<String, String> fields = new java.util.LinkedHashMap<>();
    for (String key :
        new String[] {"service.name", "service.version", "deployment.environment.name"}) {
      String value = resource.getAttribute(AttributeKey.stringKey(key));
      if (value != null) {
        fields.put(key, value);
      }
    }
    if (workerId != null) {
      fields.put(WORKER_ID, workerId);
    }
    LogbackContext.put(fields);
    if (exportLogs) {
      LogbackContext.installOtlpAppender(sdk);
    }
    return new KtrdrLogging(new ArrayList<>(fields.keySet()));
  }

  /** Removes the fields this handle added. */
  public void close() {
    if (LOGBACK && !properties.isEmpty()) {
      LogbackContext.remove(properties);
    }
  }
}
