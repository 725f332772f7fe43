package io.ktrdr.telemetry;

import io.ktrdr.telemetry.internal.sampling.InboundTraceContext;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The OpenTelemetry configuration the SDK is built from: the library's defaults, the {@code OTEL_*}
 * settings {@link EnvironmentLayer} passed on, and the exporter choices that depend on both.
 *
 * <p>OpenTelemetry's autoconfigure always reads the process environment and the system properties
 * as well, and its public API cannot stop it. {@link #overrides} is what the library hands it
 * through {@code addPropertiesCustomizer}, which wins over both: every property of {@link
 * #resolve}, plus, for each {@code otel.*} key the process carries that the library's view of the
 * environment does not set, the value autoconfigure reads as unset. That is a blank for numbers,
 * booleans, durations, lists and maps; the shared key's value for a per-signal OTLP key (the SDK
 * falls back to it); the SDK default for the sampler, compression and the OTLP metrics temporality
 * and default histogram aggregation. Other text keys (endpoints, certificate paths, the service
 * name) have no such value: when one leaks, which takes an injected {@link
 * KtrdrTelemetryBuilder#environment} or a blank process value, its process value stays and {@link
 * #leakedText} names it for a warning.
 */
final class OtelProperties {
  /** Spans per OTLP export by default ({@code OTEL_BSP_MAX_EXPORT_BATCH_SIZE}; the SDK's: 512). */
  static final int SPAN_BATCH_SIZE = 2048;

  /** Spans queued for export by default ({@code OTEL_BSP_MAX_QUEUE_SIZE}; the SDK's: 2048). */
  static final int SPAN_QUEUE_SIZE = 8192;

  /** Keys autoconfigure reads as text, where a blank value is not "unset". */
  private static final Pattern TEXT_KEY =
      Pattern.compile(
          "otel\\.exporter\\.otlp(\\.(traces|metrics|logs))?"
              + "\\.(endpoint|protocol|compression|certificate|client\\.key|client\\.certificate)"
              + "|otel\\.service\\.name|otel\\.traces\\.sampler|otel\\.java\\.exporter\\.memory_mode"
              + "|otel\\.experimental\\.sdk\\.telemetry\\.version");

  /** The SDK's defaults of text keys: the value that means "unset" for them. */
  private static final Map<String, String> TEXT_DEFAULTS =
      Map.of(
          "otel.traces.sampler", "parentbased_always_on",
          "otel.exporter.otlp.compression", "none",
          // Metrics-only OTLP keys without a shared form; a blank fails the OTLP metric exporter.
          "otel.exporter.otlp.metrics.temporality.preference", "cumulative",
          "otel.exporter.otlp.metrics.default.histogram.aggregation", "explicit_bucket_histogram");

  private static final Pattern PER_SIGNAL =
      Pattern.compile("otel\\.exporter\\.otlp\\.(traces|metrics|logs)\\.(.+)");

  private OtelProperties() {}

  /**
   * The whole OpenTelemetry configuration: the library's defaults, the {@code OTEL_*} settings of
   * the environment (only those of {@link KtrdrTelemetryBuilder#environment} when one was given),
   * and the exporter choices that depend on both.
   */
  static Map<String, String> resolve(KtrdrTelemetryBuilder options, Map<String, String> otel) {
    Map<String, String> properties = new HashMap<>();
    properties.put("otel.metrics.exporter", "none");
    properties.put("otel.exporter.otlp.protocol", "http/protobuf");
    // The SDK's own metrics under their semantic-convention names (otel_sdk_processor_span_*,
    // otel_sdk_exporter_span_*) instead of the legacy camelCase ones (queueSize, ...).
    properties.put("otel.experimental.sdk.telemetry.version", "latest");
    if (options.serviceName != null) {
      properties.put("otel.service.name", options.serviceName);
    }
    if (options.otlpEndpoint != null) {
      properties.put("otel.exporter.otlp.endpoint", options.otlpEndpoint);
    }
    properties.putAll(otel);
    Map<String, String> given = Map.copyOf(properties);
    // Each signal is exported when it has an endpoint: the shared one or its own (a stack that
    // sends spans to Jaeger and log records to Loki sets only the per-signal ones).
    boolean baseEndpoint = isSet(given, "otel.exporter.otlp.endpoint");
    boolean endpoint = baseEndpoint || isSet(given, "otel.exporter.otlp.traces.endpoint");
    boolean logsEndpoint = baseEndpoint || isSet(given, "otel.exporter.otlp.logs.endpoint");
    // Fewer, larger OTLP exports cost less CPU per span (docs/tracing.md, performance notes); the
    // queue holds four batches so that one full batch does not mean dropping.
    if (!isSet(given, "otel.bsp.max.queue.size")) {
      properties.put("otel.bsp.max.queue.size", Integer.toString(SPAN_QUEUE_SIZE));
    }
    if (!isSet(given, "otel.bsp.max.export.batch.size")) {
      int queue = integer(properties.get("otel.bsp.max.queue.size"), SPAN_QUEUE_SIZE);
      properties.put(
          "otel.bsp.max.export.batch.size", Integer.toString(Math.min(SPAN_BATCH_SIZE, queue)));
    }
    if (!options.tracing) {
      properties.put("otel.traces.exporter", "none");
      properties.put("otel.traces.sampler", "always_off");
    } else if (!isSet(given, "otel.traces.exporter")) {
      properties.put("otel.traces.exporter", endpoint ? "otlp" : "none");
    }
    if (!isSet(given, "otel.logs.exporter")) {
      properties.put("otel.logs.exporter", options.exportLogs && logsEndpoint ? "otlp" : "none");
    }
    if (options.tracing && options.tracesInbound != InboundTraces.TRUST) {
      // A caller chooses the trace id bits traceidratio reads: at the edge, hash them with a key.
      String sampler = properties.getOrDefault("otel.traces.sampler", "parentbased_always_on");
      properties.put("otel.traces.sampler", InboundTraceContext.edgeSampler(sampler));
    }
    // Prometheus is served by this library (handler or standalone server), never by autoconfigure.
    List<String> metricExporters = new ArrayList<>(list(given.get("otel.metrics.exporter")));
    metricExporters.remove("prometheus");
    properties.put(
        "otel.metrics.exporter",
        metricExporters.isEmpty() ? "none" : String.join(",", metricExporters));
    return properties;
  }

  /**
   * What autoconfigure gets on top of the process environment and system properties: {@code
   * properties}, and for each other {@code otel.*} key of {@code environment} or {@code system} the
   * value that autoconfigure reads as unset (see the class comment for the text keys that have
   * none).
   */
  static Map<String, String> overrides(
      Map<String, String> properties, Map<String, String> environment, Properties system) {
    Map<String, String> overrides = new HashMap<>(properties);
    for (String key : processKeys(environment, system)) {
      String unset = unsetValue(key, properties);
      if (!properties.containsKey(key) && unset != null) {
        overrides.put(key, unset);
      }
    }
    return overrides;
  }

  /**
   * The text keys of the process that reach autoconfigure although {@code properties} does not set
   * them: no value means "unset" for them.
   */
  static Set<String> leakedText(
      Map<String, String> properties, Map<String, String> environment, Properties system) {
    Set<String> leaked = new TreeSet<>();
    for (String key : processKeys(environment, system)) {
      if (!properties.containsKey(key) && unsetValue(key, properties) == null) {
        leaked.add(key);
      }
    }
    return leaked;
  }

  /** The value autoconfigure reads as if {@code key} were not set, or null when there is none. */
  private static @Nullable String unsetValue(String key, Map<String, String> properties) {
    Matcher perSignal = PER_SIGNAL.matcher(key);
    if (perSignal.matches() && !perSignal.group(2).equals("endpoint")) {
      // Unset, a per-signal key falls back to the shared one (an endpoint does not: the shared
      // one gains the signal's path).
      String shared = properties.get("otel.exporter.otlp." + perSignal.group(2));
      if (shared != null) {
        return shared;
      }
    }
    String sdkDefault = TEXT_DEFAULTS.get(key);
    if (sdkDefault == null && perSignal.matches()) {
      sdkDefault = TEXT_DEFAULTS.get("otel.exporter.otlp." + perSignal.group(2));
    }
    if (sdkDefault != null) {
      return sdkDefault;
    }
    return TEXT_KEY.matcher(key).matches() ? null : "";
  }

  /** The {@code otel.*} keys autoconfigure sees in the process, in its own normal form. */
  private static Set<String> processKeys(Map<String, String> environment, Properties system) {
    Set<String> keys = new TreeSet<>();
    environment.forEach(
        (name, value) -> {
          String key = name.toLowerCase(Locale.ROOT).replace('_', '.');
          if (key.startsWith("otel.")) {
            keys.add(key);
          }
        });
    for (String name : system.stringPropertyNames()) {
      String key = name.toLowerCase(Locale.ROOT).replace('-', '.');
      if (key.startsWith("otel.")) {
        keys.add(key);
      }
    }
    return keys;
  }

  private static boolean isSet(Map<String, String> properties, String key) {
    return properties.get(key) != null;
  }

  /** An integer property; one that does not parse is left to autoconfigure, which names it. */
  private static int integer(@Nullable String value, int fallback) {
    if (value == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** A comma-separated property as autoconfigure reads it: trimmed, blanks dropped. */
  private static List<String> list(@Nullable String value) {
    List<String> items = new ArrayList<>();
    if (value != null) {
      for (String item : value.split(",")) {
        if (!item.isBlank()) {
          items.add(item.trim());
        }
      }
    }
    return items;
  }

  /**
   * Where spans go, for the start-up line: the exporter, its OTLP protocol ({@code http/protobuf}
   * or {@code grpc}) and the endpoint without secrets.
   */
  static String describeTraceExport(Map<String, String> properties) {
    String exporter = properties.getOrDefault("otel.traces.exporter", "otlp");
    if (!exporter.contains("otlp")) {
      return exporter;
    }
    String protocol =
        properties
            .getOrDefault(
                "otel.exporter.otlp.traces.protocol",
                properties.getOrDefault("otel.exporter.otlp.protocol", "http/protobuf"))
            .trim();
    String endpoint = properties.get("otel.exporter.otlp.traces.endpoint");
    if (endpoint == null) {
      endpoint = properties.get("otel.exporter.otlp.endpoint");
    }
    if (endpoint == null) {
      endpoint = protocol.equals("grpc") ? "http://localhost:4317" : "http://localhost:4318";
    }
    return exporter + " " + protocol + " " + withoutSecrets(endpoint);
  }

  /** {@code scheme://host:port/path} of a URL: no user info, no query, no fragment. */
  static String withoutSecrets(String url) {
    try {
      URI uri = new URI(url.trim());
      if (uri.getScheme() == null || uri.getHost() == null) {
        return "<not a URL>";
      }
      return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null)
          .toString();
    } catch (URISyntaxException e) {
      return "<not a URL>";
    }
  }
}
