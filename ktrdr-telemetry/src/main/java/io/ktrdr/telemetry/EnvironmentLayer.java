package io.ktrdr.telemetry;

import io.ktrdr.telemetry.config.EnvConfig;
import io.ktrdr.telemetry.internal.sampling.RuleSampler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that reads the environment for the library. It validates every {@code KTRDR_*} key
 * the library reads (ktrdr-telemetry-logback validates its own, {@link #LOGBACK_KEYS}) and every
 * {@code OTEL_*} key it honours (others are named in a warning and ignored), applies the {@code
 * KTRDR_*} ones through builder setters (so the builder stays the single source of truth) and hands
 * the {@code OTEL_*} ones to OpenTelemetry's autoconfigure as its whole configuration.
 */
final class EnvironmentLayer {
  private static final Logger logger = LoggerFactory.getLogger(EnvironmentLayer.class);

  static final String ENVIRONMENT = "KTRDR_ENVIRONMENT";
  static final String SERVICE_VERSION = "KTRDR_SERVICE_VERSION";
  static final String JVM_METRICS_ENABLED = "KTRDR_JVM_METRICS_ENABLED";
  static final String METRICS_SCOPE_LABELS_ENABLED = "KTRDR_METRICS_SCOPE_LABELS_ENABLED";
  static final String METRICS_USERNAME = "KTRDR_METRICS_USERNAME";
  static final String METRICS_PASSWORD = "KTRDR_METRICS_PASSWORD";
  static final String METRICS_BEARER_TOKEN = "KTRDR_METRICS_BEARER_TOKEN";
  static final String METRICS_HOST = "KTRDR_METRICS_HOST";
  static final String METRICS_PORT = "KTRDR_METRICS_PORT";
  static final String TRACING_ENABLED = "KTRDR_TRACING_ENABLED";
  static final String WORKER_ID = "KTRDR_WORKER_ID";
  static final String LOG_FORMAT = "KTRDR_LOG_FORMAT";
  static final String LOG_LEVEL = "KTRDR_LOG_LEVEL";
  static final String LOGS_OTLP_ENABLED = "KTRDR_LOGS_OTLP_ENABLED";
  static final String HISTOGRAM_MODE = "KTRDR_HISTOGRAM_MODE";
  static final String HISTOGRAM_MODE_OVERRIDES = "KTRDR_HISTOGRAM_MODE_OVERRIDES";
  static final String NATIVE_HISTOGRAM_MAX_BUCKETS = "KTRDR_NATIVE_HISTOGRAM_MAX_BUCKETS";
  static final String NATIVE_HISTOGRAM_MAX_SCALE = "KTRDR_NATIVE_HISTOGRAM_MAX_SCALE";
  static final String TRACES_KEEP_ERRORS = "KTRDR_TRACES_KEEP_ERRORS";
  static final String TRACES_KEEP_SLOWER_THAN = "KTRDR_TRACES_KEEP_SLOWER_THAN";
  static final String TRACES_BUFFER_MAX_SPANS = "KTRDR_TRACES_BUFFER_MAX_SPANS";
  static final String TRACES_SAMPLER_DROP_PATHS = "KTRDR_TRACES_SAMPLER_DROP_PATHS";
  static final String TRACES_INBOUND = "KTRDR_TRACES_INBOUND";
  static final String TRACES_INBOUND_BAGGAGE_KEYS = "KTRDR_TRACES_INBOUND_BAGGAGE_KEYS";
  static final String TRACES_INBOUND_BAGGAGE_MAX_ENTRIES =
      "KTRDR_TRACES_INBOUND_BAGGAGE_MAX_ENTRIES";
  static final String TRACES_INBOUND_BAGGAGE_MAX_BYTES = "KTRDR_TRACES_INBOUND_BAGGAGE_MAX_BYTES";
  static final String TRACES_INBOUND_TRACESTATE_MAX_ENTRIES =
      "KTRDR_TRACES_INBOUND_TRACESTATE_MAX_ENTRIES";
  static final String TRACES_INBOUND_TRACESTATE_MAX_CHARS =
      "KTRDR_TRACES_INBOUND_TRACESTATE_MAX_CHARS";

  static final String PROMETHEUS_HOST = "OTEL_EXPORTER_PROMETHEUS_HOST";
  static final String PROMETHEUS_PORT = "OTEL_EXPORTER_PROMETHEUS_PORT";
  static final String METRICS_EXPORTER = "OTEL_METRICS_EXPORTER";
  static final String TRACES_SAMPLER = "OTEL_TRACES_SAMPLER";

  /** Every {@code KTRDR_*} key the library reads; {@code docs/configuration.md} lists them all. */
  static final List<String> KTRDR_KEYS =
      List.of(
          ENVIRONMENT,
          SERVICE_VERSION,
          JVM_METRICS_ENABLED,
          METRICS_SCOPE_LABELS_ENABLED,
          METRICS_USERNAME,
          METRICS_PASSWORD,
          METRICS_PASSWORD + "_FILE",
          METRICS_BEARER_TOKEN,
          METRICS_BEARER_TOKEN + "_FILE",
          METRICS_HOST,
          METRICS_PORT,
          TRACING_ENABLED,
          WORKER_ID,
          LOGS_OTLP_ENABLED,
          HISTOGRAM_MODE,
          HISTOGRAM_MODE_OVERRIDES,
          NATIVE_HISTOGRAM_MAX_BUCKETS,
          NATIVE_HISTOGRAM_MAX_SCALE,
          TRACES_KEEP_ERRORS,
          TRACES_KEEP_SLOWER_THAN,
          TRACES_BUFFER_MAX_SPANS,
          TRACES_SAMPLER_DROP_PATHS,
          TRACES_INBOUND,
          TRACES_INBOUND_BAGGAGE_KEYS,
          TRACES_INBOUND_BAGGAGE_MAX_ENTRIES,
          TRACES_INBOUND_BAGGAGE_MAX_BYTES,
          TRACES_INBOUND_TRACESTATE_MAX_ENTRIES,
          TRACES_INBOUND_TRACESTATE_MAX_CHARS);

  /**
   * {@code KTRDR_*} keys read and validated by ktrdr-telemetry-logback ({@code KtrdrLogback} and
   * its shipped configuration), not by this library: known here only so that they are not taken for
   * misspelt library keys.
   */
  static final List<String> LOGBACK_KEYS = List.of(LOG_FORMAT, LOG_LEVEL);

  /** {@code OTEL_*} keys honoured as they are named. */
  static final List<String> OTEL_KEYS =
      List.of(
          "OTEL_SDK_DISABLED",
          "OTEL_SERVICE_NAME",
          "OTEL_RESOURCE_ATTRIBUTES",
          "OTEL_PROPAGATORS",
          TRACES_SAMPLER,
          "OTEL_TRACES_SAMPLER_ARG",
          "OTEL_TRACES_EXPORTER",
          METRICS_EXPORTER,
          "OTEL_LOGS_EXPORTER",
          "OTEL_METRIC_EXPORT_INTERVAL",
          "OTEL_METRIC_EXPORT_TIMEOUT",
          "OTEL_METRICS_EXEMPLAR_FILTER",
          // Read by OpenTelemetry's JDBC instrumentation from the process environment itself.
          "OTEL_SEMCONV_STABILITY_OPT_IN",
          PROMETHEUS_HOST,
          PROMETHEUS_PORT);

  /** Families of {@code OTEL_*} keys honoured through OpenTelemetry's autoconfigure. */
  static final List<String> OTEL_PREFIXES =
      List.of(
          "OTEL_EXPORTER_OTLP_",
          "OTEL_BSP_",
          "OTEL_BLRP_",
          "OTEL_ATTRIBUTE_",
          "OTEL_SPAN_",
          "OTEL_LINK_",
          "OTEL_EVENT_",
          "OTEL_LOGRECORD_",
          "OTEL_JAVA_",
          "OTEL_EXPERIMENTAL_");

  private EnvironmentLayer() {}

  /**
   * Validates the environment, applies the {@code KTRDR_*} keys to {@code builder} and returns the
   * {@code OTEL_*} ones as OpenTelemetry properties ({@code OTEL_SERVICE_NAME} becomes {@code
   * otel.service.name}).
   *
   * @throws io.ktrdr.telemetry.config.ConfigException naming the key, the value and what was
   *     expected
   */
  static Map<String, String> apply(KtrdrTelemetryBuilder builder) {
    Map<String, String> raw = new HashMap<>();
    if (builder.environment == null) {
      raw.putAll(System.getenv());
      // OpenTelemetry's convention: -Dotel.foo.bar=... counts as OTEL_FOO_BAR, and wins.
      Properties system = System.getProperties();
      for (String name : system.stringPropertyNames()) {
        if (name.startsWith("otel.")) {
          raw.put(
              name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'),
              system.getProperty(name));
        }
      }
    } else {
      raw.putAll(builder.environment);
    }
    EnvConfig env = EnvConfig.of(raw);
    env.string(ENVIRONMENT).ifPresent(builder::deploymentEnvironment);
    env.string(SERVICE_VERSION).ifPresent(builder::serviceVersion);
    env.bool(JVM_METRICS_ENABLED).ifPresent(builder::jvmMetrics);
    env.bool(METRICS_SCOPE_LABELS_ENABLED).ifPresent(builder::metricsScopeLabels);
    metricsAuth(env).ifPresent(builder::metricsAuth);
    metricsServer(env, builder);
    env.bool(TRACING_ENABLED).ifPresent(builder::tracing);
    env.string(WORKER_ID).ifPresent(builder::workerId);
    env.bool(LOGS_OTLP_ENABLED).ifPresent(builder::exportLogs);
    env.oneOf(HISTOGRAM_MODE, "classic", "native", "both")
        .map(HistogramMode::parse)
        .ifPresent(builder::histogramMode);
    histogramModeOverrides(env).forEach(builder::histogramMode);
    env.integer(NATIVE_HISTOGRAM_MAX_BUCKETS, 2, 16384, "an integer 2-16384")
        .ifPresent(builder::nativeHistogramMaxBuckets);
    env.integer(NATIVE_HISTOGRAM_MAX_SCALE, -4, 20, "an integer -4 to 20")
        .ifPresent(builder::nativeHistogramMaxScale);
    env.bool(TRACES_KEEP_ERRORS).ifPresent(builder::tracesKeepErrors);
    env.duration(TRACES_KEEP_SLOWER_THAN).ifPresent(builder::tracesKeepSlowerThan);
    env.integer(
            TRACES_BUFFER_MAX_SPANS,
            1,
            KtrdrTelemetryBuilder.MAX_TRACES_BUFFER_SPANS,
            "an integer 1-" + KtrdrTelemetryBuilder.MAX_TRACES_BUFFER_SPANS)
        .ifPresent(builder::tracesBufferMaxSpans);
    inbound(env, builder);
    Map<String, String> properties = otelProperties(env);
    samplerDropPaths(env)
        .ifPresent(paths -> properties.put(RuleSampler.DROP_PATHS_PROPERTY, paths));
    return properties;
  }

  /**
   * {@code KTRDR_TRACES_SAMPLER_DROP_PATHS}, the paths {@code OTEL_TRACES_SAMPLER=ktrdr_rules}
   * drops; each key requires the other, so a probe that is traced after all does not go unseen.
   */
  private static Optional<String> samplerDropPaths(EnvConfig env) {
    Optional<String> raw = env.string(TRACES_SAMPLER_DROP_PATHS);
    String sampler = env.string(TRACES_SAMPLER).map(String::trim).orElse("parentbased_always_on");
    boolean rules = sampler.equals(RuleSampler.NAME);
    if (raw.isEmpty()) {
      if (rules) {
        throw EnvConfig.conflict(
            TRACES_SAMPLER_DROP_PATHS,
            TRACES_SAMPLER_DROP_PATHS
                + " is not set: expected the paths to drop (e.g. /health,/ready) with "
                + TRACES_SAMPLER
                + "="
                + RuleSampler.NAME);
      }
      return raw;
    }
    List<String> paths = new ArrayList<>();
    for (String part : raw.get().split(",", -1)) {
      String path = part.trim();
      if (!RuleSampler.isPath(path)) {
        throw EnvConfig.invalid(
            TRACES_SAMPLER_DROP_PATHS,
            raw.get(),
            "comma-separated paths starting with / (a trailing * matches a prefix), e.g."
                + " /health,/ready");
      }
      paths.add(path);
    }
    if (!rules) {
      throw EnvConfig.conflict(
          TRACES_SAMPLER_DROP_PATHS,
          TRACES_SAMPLER_DROP_PATHS
              + " is set but "
              + TRACES_SAMPLER
              + "="
              + sampler
              + " does not read it: expected "
              + TRACES_SAMPLER
              + "="
              + RuleSampler.NAME);
    }
    return Optional.of(String.join(",", paths));
  }

  /**
   * The standalone server: {@code KTRDR_METRICS_PORT}/{@code _HOST}, or OpenTelemetry's {@code
   * OTEL_EXPORTER_PROMETHEUS_PORT}/{@code _HOST} (also implied by {@code
   * OTEL_METRICS_EXPORTER=prometheus}, on 9464). Both names for one setting must agree.
   */
  private static void metricsServer(EnvConfig env, KtrdrTelemetryBuilder builder) {
    Optional<Integer> port =
        agreeing(
            env,
            METRICS_PORT,
            PROMETHEUS_PORT,
            env.portOrZero(METRICS_PORT),
            env.portOrZero(PROMETHEUS_PORT));
    Optional<String> host =
        agreeing(
            env, METRICS_HOST, PROMETHEUS_HOST, env.host(METRICS_HOST), env.host(PROMETHEUS_HOST));
    boolean prometheusExporter =
        env.string(METRICS_EXPORTER)
            .map(list -> List.of(list.split("\\s*,\\s*")).contains("prometheus"))
            .orElse(false);
    if (port.isEmpty() && prometheusExporter && builder.metricsServerPort < 0) {
      port = Optional.of(9464);
    }
    port.ifPresent(builder::metricsServerPort);
    host.ifPresent(builder::metricsServerHost);
  }

  private static <T> Optional<T> agreeing(
      EnvConfig env, String key, String otelKey, Optional<T> value, Optional<T> otelValue) {
    if (value.isPresent() && otelValue.isPresent() && !value.equals(otelValue)) {
      throw EnvConfig.conflict(
          otelKey,
          otelKey
              + "="
              + otelValue.get()
              + " differs from "
              + key
              + "="
              + value.get()
              + ": expected one of them, or the same value");
    }
    return value.isPresent() ? value : otelValue;
  }

  /** The inbound trace context policy and its bounds ({@code KTRDR_TRACES_INBOUND*}). */
  private static void inbound(EnvConfig env, KtrdrTelemetryBuilder builder) {
    env.oneOf(TRACES_INBOUND, "trust", "ignore_sampled", "new_root")
        .map(InboundTraces::parse)
        .ifPresent(builder::tracesInbound);
    env.string(TRACES_INBOUND_BAGGAGE_KEYS)
        .ifPresent(
            raw -> {
              List<String> keys = new ArrayList<>();
              for (String part : raw.split(",", -1)) {
                String key = part.trim();
                if (!KtrdrTelemetryBuilder.isBaggageKey(key)) {
                  throw EnvConfig.invalid(
                      TRACES_INBOUND_BAGGAGE_KEYS,
                      raw,
                      "a comma-separated list of baggage keys (W3C tokens), or *");
                }
                keys.add(key);
              }
              builder.tracesInboundBaggageKeys(keys);
            });
    env.integer(TRACES_INBOUND_BAGGAGE_MAX_ENTRIES, 0, 180, "an integer 0-180")
        .ifPresent(builder::tracesInboundBaggageMaxEntries);
    env.integer(TRACES_INBOUND_BAGGAGE_MAX_BYTES, 0, 8192, "an integer 0-8192")
        .ifPresent(builder::tracesInboundBaggageMaxBytes);
    env.integer(TRACES_INBOUND_TRACESTATE_MAX_ENTRIES, 0, 32, "an integer 0-32")
        .ifPresent(builder::tracesInboundTraceStateMaxEntries);
    env.integer(TRACES_INBOUND_TRACESTATE_MAX_CHARS, 0, 512, "an integer 0-512")
        .ifPresent(builder::tracesInboundTraceStateMaxChars);
  }

  /** {@code name=mode} pairs separated by commas, e.g. {@code ktrdr.operation.duration=classic}. */
  private static Map<String, HistogramMode> histogramModeOverrides(EnvConfig env) {
    Map<String, HistogramMode> overrides = new LinkedHashMap<>();
    Optional<String> raw = env.string(HISTOGRAM_MODE_OVERRIDES);
    if (raw.isEmpty()) {
      return overrides;
    }
    for (String pair : raw.get().split(",")) {
      String[] parts = pair.split("=", -1);
      String mode = parts.length == 2 ? parts[1].trim().toLowerCase(Locale.ROOT) : "";
      if (parts.length != 2
          || parts[0].isBlank()
          || parts[0].contains("*")
          || parts[0].contains("?")
          || !(mode.equals("classic") || mode.equals("native") || mode.equals("both"))) {
        throw EnvConfig.invalid(
            HISTOGRAM_MODE_OVERRIDES,
            raw.get(),
            "comma-separated instrument=mode pairs (instrument names without wildcards),"
                + " mode one of classic, native, both");
      }
      overrides.put(parts[0].trim(), HistogramMode.parse(mode));
    }
    return overrides;
  }

  private static Optional<MetricsAuth> metricsAuth(EnvConfig env) {
    Optional<String> username = env.string(METRICS_USERNAME);
    Optional<String> password = env.secretOrFile(METRICS_PASSWORD);
    Optional<String> token = env.secretOrFile(METRICS_BEARER_TOKEN);
    if (token.isPresent() && (username.isPresent() || password.isPresent())) {
      throw EnvConfig.conflict(
          METRICS_BEARER_TOKEN,
          METRICS_BEARER_TOKEN
              + " is set together with "
              + METRICS_USERNAME
              + "/"
              + METRICS_PASSWORD
              + ": expected one authentication method, a bearer token or basic auth");
    }
    if (token.isPresent()) {
      return Optional.of(MetricsAuth.bearer(token.get()));
    }
    if (username.isPresent() != password.isPresent()) {
      String missing = username.isPresent() ? METRICS_PASSWORD : METRICS_USERNAME;
      String present = username.isPresent() ? METRICS_USERNAME : METRICS_PASSWORD;
      throw EnvConfig.conflict(
          missing, missing + " is not set: expected it together with " + present + " (basic auth)");
    }
    if (username.isPresent()) {
      if (username.get().indexOf(':') >= 0) {
        throw EnvConfig.invalid(METRICS_USERNAME, username.get(), "a user name without ':'");
      }
      return Optional.of(MetricsAuth.basic(username.get(), password.get()));
    }
    return Optional.empty();
  }

  /** Whether the library honours {@code key}, an {@code OTEL_*} variable. */
  static boolean honoured(String key) {
    return OTEL_KEYS.contains(key) || OTEL_PREFIXES.stream().anyMatch(key::startsWith);
  }

  /**
   * The {@code OTEL_*} entries as OpenTelemetry property names. An {@code OTEL_*} key that no part
   * of the library reads is left out and named in one warning: platforms inject keys for other
   * consumers (the OpenTelemetry Operator's {@code OTEL_RESOURCE_ATTRIBUTES_POD_NAME}, the Java
   * agent's keys, keys of newer SDKs), and refusing them would stop a service that runs fine. A
   * {@code KTRDR_*} key one or two letters away from a library key is named too: the prefix is
   * shared with the application, so the library cannot refuse a key it does not know, but a typo of
   * one of its own should not go unseen.
   */
  private static final String DECLARATIVE_CONFIG =
      " is set: expected it unset (ktrdr-telemetry configures the SDK from OTEL_* and KTRDR_*"
          + " variables; OpenTelemetry's declarative configuration file is not supported)";

  static Map<String, String> otelProperties(EnvConfig env) {
    Map<String, String> properties = new HashMap<>();
    TreeSet<String> ignored = new TreeSet<>();
    TreeSet<String> nearMisses = new TreeSet<>();
    env.asMap()
        .forEach(
            (key, value) -> {
              if (key.startsWith("KTRDR_")) {
                nearestLibraryKey(key).ifPresent(near -> nearMisses.add(key + " (" + near + "?)"));
                return;
              }
              if (!key.startsWith("OTEL_") || value == null || value.isBlank()) {
                return;
              }
              if (key.equals("OTEL_CONFIG_FILE") || key.equals("OTEL_EXPERIMENTAL_CONFIG_FILE")) {
                // Not ignorable: OpenTelemetry's autoconfigure reads it from the process and
                // then fails, naming a module, not the key.
                throw EnvConfig.conflict(key, key + DECLARATIVE_CONFIG);
              }
              if (!honoured(key)) {
                ignored.add(key);
                return;
              }
              if (key.equals(PROMETHEUS_HOST) || key.equals(PROMETHEUS_PORT)) {
                return; // the standalone metrics server's, see metricsServer()
              }
              properties.put(key.toLowerCase(Locale.ROOT).replace('_', '.'), value.trim());
            });
    if (!ignored.isEmpty()) {
      logger.warn(
          "OTEL_* variables not read by ktrdr-telemetry, ignored: {} (docs/configuration.md lists"
              + " the ones it reads; OpenTelemetry Java agent and instrumentation settings do not"
              + " apply)",
          String.join(", ", ignored));
    }
    if (!nearMisses.isEmpty()) {
      logger.warn(
          "KTRDR_* variables not read by ktrdr-telemetry that look like a misspelt library key: {}",
          String.join(", ", nearMisses));
    }
    return properties;
  }

  /** The library key at most two edits away from {@code key}, when {@code key} is not one. */
  static Optional<String> nearestLibraryKey(String key) {
    if (KTRDR_KEYS.contains(key) || LOGBACK_KEYS.contains(key)) {
      return Optional.empty();
    }
    for (String known :
        java.util.stream.Stream.concat(KTRDR_KEYS.stream(), LOGBACK_KEYS.stream()).toList()) {
      if (Math.abs(known.length() - key.length()) <= 2 && editDistance(known, key) <= 2) {
        return Optional.of(known);
      }
    }
    return Optional.empty();
  }

  /** Levenshtein distance; keys are short, so the full table is fine (start-up only). */
  static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
