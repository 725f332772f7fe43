package io.ktrdr.telemetry.logback;

import ch.qos.logback.classic.LoggerContext;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.config.EnvConfig;
import io.ktrdr.telemetry.logback.internal.JulBridge;
import io.ktrdr.telemetry.logback.internal.LogEventCounter;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.instrumentation.logback.appender.v1_0.OpenTelemetryAppender;
import io.opentelemetry.sdk.resources.Resource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Connects logback to a {@link KtrdrTelemetry}. With the shipped {@code
 * io/ktrdr/telemetry/logging/logback-ktrdr.xml} included in the application's {@code logback.xml}
 * (or no configuration at all: then it is applied by default), every log line carries {@code
 * service.name}, {@code service.version}, {@code deployment.environment.name}, {@code worker_id}
 * (when the telemetry has one), the current {@code trace_id}/{@code span_id}/{@code trace_flags}
 * and {@code operation_id} (inside an operation).
 *
 * <pre>{@code
 * KtrdrTelemetry telemetry = KtrdrTelemetry.setup("ktrdr-api");
 * KtrdrLogback logging = KtrdrLogback.install(telemetry);   // once, after the telemetry
 * ...
 * logging.close();
 * telemetry.close();
 * }</pre>
 *
 * <p>{@link #install} does what the application asks for by calling it, and {@link #close()} undoes
 * it: the service fields in logback's context, the {@code KTRDR_OTLP} appender's connection to the
 * telemetry (log events go over OTLP only when {@code KTRDR_LOGS_OTLP_ENABLED=true}), and the
 * {@code java.util.logging} to SLF4J bridge. The bridge replaces only the JDK's default console
 * handler of the root JUL logger; a handler the application installed is left in place.
 */
public final class KtrdrLogback implements AutoCloseable {
  /** The log field that identifies a worker. */
  public static final String WORKER_ID = "worker_id";

  static final String LOG_FORMAT = "KTRDR_LOG_FORMAT";
  static final String LOG_LEVEL = "KTRDR_LOG_LEVEL";

  private static final String[] RESOURCE_FIELDS = {
    "service.name", "service.version", "deployment.environment.name"
  };
  private static final AttributeKey<String> SERVICE_INSTANCE_ID =
      AttributeKey.stringKey("service.instance.id");

  private final LoggerContext context;
  private final List<String> properties;
  private final @Nullable JulBridge julBridge;
  private final LogEventCounter eventCounter;
  private final AtomicBoolean closed = new AtomicBoolean();

  private KtrdrLogback(
      LoggerContext context,
      List<String> properties,
      @Nullable JulBridge julBridge,
      LogEventCounter eventCounter) {
    this.context = context;
    this.properties = properties;
    this.julBridge = julBridge;
    this.eventCounter = eventCounter;
  }

  /**
   * Puts the telemetry's service context into every log line, lets the {@code KTRDR_OTLP} appender
   * send through the telemetry, counts log events by level in {@code ktrdr_log_events_total}, and
   * routes {@code java.util.logging} to SLF4J. First validates the keys the shipped configuration
   * reads, {@code KTRDR_LOG_FORMAT} and {@code KTRDR_LOG_LEVEL} (system property, else environment
   * variable, as logback looks them up).
   *
   * @throws io.ktrdr.telemetry.config.ConfigException naming the key, the value and what was
   *     expected, for a bad value of one of those keys
   * @throws IllegalStateException when logback is not the SLF4J backend
   */
  public static KtrdrLogback install(KtrdrTelemetry telemetry) {
    return install(telemetry, KtrdrLogback::lookup);
  }

  static KtrdrLogback install(KtrdrTelemetry telemetry, Function<String, @Nullable String> lookup) {
    Objects.requireNonNull(telemetry, "telemetry");
    validate(lookup);
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext)) {
      throw new IllegalStateException(
          "KtrdrLogback needs logback as the SLF4J backend, found "
              + factory.getClass().getName()
              + "; remove ktrdr-telemetry-logback or the other SLF4J provider");
    }
    LoggerContext context = (LoggerContext) factory;
    Map<String, String> fields = fields(telemetry.resource());
    fields.forEach(context::putProperty);
    OpenTelemetryAppender.install(telemetry.openTelemetry());
    LogEventCounter eventCounter = LogEventCounter.install(context, telemetry.openTelemetry());
    return new KtrdrLogback(
        context, new ArrayList<>(fields.keySet()), JulBridge.install(), eventCounter);
  }

  /** The keys the shipped configuration reads: a typo fails start-up instead of being ignored. */
  static void validate(Function<String, @Nullable String> lookup) {
    Map<String, String> values = new HashMap<>();
    for (String key : List.of(LOG_FORMAT, LOG_LEVEL)) {
      String value = lookup.apply(key);
      if (value != null) {
        values.put(key, value);
      }
    }
    EnvConfig env = EnvConfig.of(values);
    env.oneOf(LOG_FORMAT, "json", "text");
    env.oneOf(LOG_LEVEL, "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");
  }

  private static @Nullable String lookup(String key) {
    String property = System.getProperty(key);
    return property != null ? property : System.getenv(key);
  }

  static Map<String, String> fields(Resource resource) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String key : RESOURCE_FIELDS) {
      String value = resource.getAttribute(AttributeKey.stringKey(key));
      if (value != null) {
        fields.put(key, value);
      }
    }
    String workerId = resource.getAttribute(SERVICE_INSTANCE_ID);
    if (workerId != null) {
      fields.put(WORKER_ID, workerId);
    }
    return fields;
  }

  /**
   * Removes the service fields, disconnects the {@code KTRDR_OTLP} appender, stops counting log
   * events and restores {@code java.util.logging} as it was. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (String key : properties) {
      context.putProperty(key, null);
    }
    OpenTelemetryAppender.install(OpenTelemetry.noop());
    eventCounter.close();
    if (julBridge != null) {
      julBridge.close();
    }
  }
}
