package io.ktrdr.telemetry;

import io.ktrdr.telemetry.internal.TraceKeeper;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Options of a {@link KtrdrTelemetry}. Values set here are the application's defaults; at {@link
 * #build()}, the deployment's environment variables ({@code KTRDR_*}, and {@code OTEL_*} through
 * OpenTelemetry's autoconfigure) override them. See {@code docs/configuration.md} for every key.
 *
 * <pre>{@code
 * KtrdrTelemetry telemetry = KtrdrTelemetry.builder()
 *     .serviceName("ktrdr-api")
 *     .serviceVersion("1.4.0")
 *     .build();
 * }</pre>
 */
public final class KtrdrTelemetryBuilder {
  @Nullable String serviceName;
  @Nullable String serviceVersion;
  String deploymentEnvironment = "development";
  boolean jvmMetrics = true;
  MetricsAuth metricsAuth = MetricsAuth.none();
  String metricsServerHost = "127.0.0.1";
  int metricsServerPort = -1;
  @Nullable Map<String, String> environment;
  boolean registerGlobal;
  boolean shutdownHook = true;
  boolean tracing = true;
  @Nullable String workerId;
  boolean exportLogs;
  @Nullable String otlpEndpoint;
  Duration shutdownTimeout = Duration.ofSeconds(10);
  HistogramMode histogramMode = HistogramMode.BOTH;
  Map<String, HistogramMode> histogramModeOverrides = new LinkedHashMap<>();
  int nativeHistogramMaxBuckets = DEFAULT_NATIVE_MAX_BUCKETS;
  int nativeHistogramMaxScale = DEFAULT_NATIVE_MAX_SCALE;
  boolean tracesKeepErrors;
  @Nullable Duration tracesKeepSlowerThan;
  int tracesBufferMaxSpans = TraceKeeper.DEFAULT_MAX_SPANS;

  static final int DEFAULT_NATIVE_MAX_BUCKETS = 160;
  static final int DEFAULT_NATIVE_MAX_SCALE = 20;
  static final int MAX_TRACES_BUFFER_SPANS = 1_000_000;

  KtrdrTelemetryBuilder() {}

  KtrdrTelemetryBuilder copy() {
    KtrdrTelemetryBuilder copy = new KtrdrTelemetryBuilder();
    copy.serviceName = serviceName;
    copy.serviceVersion = serviceVersion;
    copy.deploymentEnvironment = deploymentEnvironment;
    copy.jvmMetrics = jvmMetrics;
    copy.metricsAuth = metricsAuth;
    copy.metricsServerHost = metricsServerHost;
    copy.metricsServerPort = metricsServerPort;
    copy.environment = environment;
    copy.registerGlobal = registerGlobal;
    copy.shutdownHook = shutdownHook;
    copy.tracing = tracing;
    copy.workerId = workerId;
    copy.exportLogs = exportLogs;
    copy.otlpEndpoint = otlpEndpoint;
    copy.shutdownTimeout = shutdownTimeout;
    copy.histogramMode = histogramMode;
    copy.histogramModeOverrides = new LinkedHashMap<>(histogramModeOverrides);
    copy.nativeHistogramMaxBuckets = nativeHistogramMaxBuckets;
    copy.nativeHistogramMaxScale = nativeHistogramMaxScale;
    copy.tracesKeepErrors = tracesKeepErrors;
    copy.tracesKeepSlowerThan = tracesKeepSlowerThan;
    copy.tracesBufferMaxSpans = tracesBufferMaxSpans;
    return copy;
  }

  /**
   * {@code service.name}. Default: {@code OTEL_SERVICE_NAME}, else {@code unknown_service:java}.
   * {@code OTEL_SERVICE_NAME} overrides this value.
   */
  public KtrdrTelemetryBuilder serviceName(String serviceName) {
    this.serviceName = requireText(serviceName, "serviceName");
    return this;
  }

  /** {@code service.version}. Default: not set. Overridden by {@code KTRDR_SERVICE_VERSION}. */
  public KtrdrTelemetryBuilder serviceVersion(String serviceVersion) {
    this.serviceVersion = requireText(serviceVersion, "serviceVersion");
    return this;
  }

  /**
   * {@code deployment.environment.name}. Default {@code development}. Overridden by {@code
   * KTRDR_ENVIRONMENT}.
   */
  public KtrdrTelemetryBuilder deploymentEnvironment(String deploymentEnvironment) {
    this.deploymentEnvironment = requireText(deploymentEnvironment, "deploymentEnvironment");
    return this;
  }

  /**
   * Whether to register JVM and process metrics ({@code jvm_*}, {@code process_*}). Default {@code
   * true}. Overridden by {@code KTRDR_JVM_METRICS_ENABLED}.
   */
  public KtrdrTelemetryBuilder jvmMetrics(boolean enabled) {
    this.jvmMetrics = enabled;
    return this;
  }

  /**
   * Protection of {@code /metrics}. Default {@link MetricsAuth#none()}. Overridden by {@code
   * KTRDR_METRICS_USERNAME} with {@code KTRDR_METRICS_PASSWORD}, or {@code
   * KTRDR_METRICS_BEARER_TOKEN}.
   */
  public KtrdrTelemetryBuilder metricsAuth(MetricsAuth metricsAuth) {
    this.metricsAuth = Objects.requireNonNull(metricsAuth, "metricsAuth");
    return this;
  }

  /**
   * Starts a standalone {@code /metrics} server on this port at {@link #build()} (0 picks a free
   * port). Default: no standalone server, the application mounts {@link
   * KtrdrTelemetry#metricsHandler()} on its own. Overridden by {@code KTRDR_METRICS_PORT}.
   */
  public KtrdrTelemetryBuilder metricsServerPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("metricsServerPort must be 0-65535, was " + port);
    }
    this.metricsServerPort = port;
    return this;
  }

  /**
   * Address the standalone metrics server binds. Default {@code 127.0.0.1}. Overridden by {@code
   * KTRDR_METRICS_HOST}.
   */
  public KtrdrTelemetryBuilder metricsServerHost(String host) {
    this.metricsServerHost = requireText(host, "metricsServerHost");
    return this;
  }

  /**
   * The whole environment to read {@code KTRDR_*} and {@code OTEL_*} keys from, instead of {@link
   * System#getenv()} and the {@code otel.*} system properties, which are then not read at all.
   * Default: the process environment and system properties. Pass {@code Map.of()} to ignore the
   * environment (tests, embedding).
   */
  public KtrdrTelemetryBuilder environment(Map<String, String> environment) {
    this.environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
    return this;
  }

  /**
   * Whether to install the result as {@code GlobalOpenTelemetry}, for instrumentation that looks it
   * up there. Default {@code false}. At most one open instance per JVM may do so; a failed {@link
   * #build()} registers nothing, and {@link KtrdrTelemetry#close()} gives the place up, so that the
   * next {@code build()} can take it. OpenTelemetry has no public way to unset the global: after
   * the first registration {@code GlobalOpenTelemetry} stays set to the library's forwarding
   * instance (a no-op while no instance is registered), other code can no longer {@code set()} it,
   * and tracers or meters taken from it before {@code close()} record nothing afterwards.
   */
  public KtrdrTelemetryBuilder registerGlobal(boolean registerGlobal) {
    this.registerGlobal = registerGlobal;
    return this;
  }

  /**
   * Whether a JVM shutdown hook calls {@link KtrdrTelemetry#close()} if the application did not.
   * Default {@code true}.
   */
  public KtrdrTelemetryBuilder shutdownHook(boolean shutdownHook) {
    this.shutdownHook = shutdownHook;
    return this;
  }

  /**
   * Whether to trace: server spans from the Javalin plugin, {@link KtrdrTelemetry#tracing()}
   * helpers, operation spans. Default {@code true} ({@code false} for {@link
   * KtrdrTelemetry#setupMetrics(String)}). Spans are exported only when an OTLP endpoint is
   * configured. Overridden by {@code KTRDR_TRACING_ENABLED}.
   */
  public KtrdrTelemetryBuilder tracing(boolean enabled) {
    this.tracing = enabled;
    return this;
  }

  /**
   * Identifies this process as a worker: {@code service.instance.id} in the resource and {@code
   * worker_id} in every log line. Default: not set. Overridden by {@code KTRDR_WORKER_ID}.
   */
  public KtrdrTelemetryBuilder workerId(String workerId) {
    this.workerId = requireText(workerId, "workerId");
    return this;
  }

  /**
   * Where to send spans (and logs, if exported) over OTLP, e.g. {@code http://localhost:4318}.
   * Default: {@code OTEL_EXPORTER_OTLP_ENDPOINT}; when neither is set, nothing is exported and
   * nothing tries to connect.
   */
  public KtrdrTelemetryBuilder otlpEndpoint(String endpoint) {
    this.otlpEndpoint = requireText(endpoint, "otlpEndpoint");
    return this;
  }

  /**
   * Whether to send log events over OTLP too (through the {@code KTRDR_OTLP} appender of the
   * shipped logback configuration). Default {@code false}. Overridden by {@code
   * KTRDR_LOGS_OTLP_ENABLED}.
   */
  public KtrdrTelemetryBuilder exportLogs(boolean exportLogs) {
    this.exportLogs = exportLogs;
    return this;
  }

  /** The longest {@link KtrdrTelemetry#close()} waits to flush. Default 10 seconds. */
  public KtrdrTelemetryBuilder shutdownTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("shutdownTimeout must be positive, was " + timeout);
    }
    this.shutdownTimeout = timeout;
    return this;
  }

  /**
   * How histograms are aggregated and exposed: {@link HistogramMode#CLASSIC}, {@link
   * HistogramMode#NATIVE} or {@link HistogramMode#BOTH}. Default {@code BOTH}. Applies to the HTTP
   * server and client durations, the operation durations and every histogram created through {@link
   * KtrdrTelemetry#meter(String)}. Overridden by {@code KTRDR_HISTOGRAM_MODE}.
   */
  public KtrdrTelemetryBuilder histogramMode(HistogramMode mode) {
    this.histogramMode = Objects.requireNonNull(mode, "mode");
    return this;
  }

  /**
   * The mode of one histogram instrument, by its OpenTelemetry name (e.g. {@code
   * ktrdr.operation.duration}), over the default mode. Default: no overrides. Extended by {@code
   * KTRDR_HISTOGRAM_MODE_OVERRIDES}.
   */
  public KtrdrTelemetryBuilder histogramMode(String instrumentName, HistogramMode mode) {
    requireText(instrumentName, "instrumentName");
    if (instrumentName.contains("*") || instrumentName.contains("?")) {
      throw new IllegalArgumentException(
          "instrumentName must be one instrument's name, without wildcards, was " + instrumentName);
    }
    histogramModeOverrides.put(instrumentName, Objects.requireNonNull(mode, "mode"));
    return this;
  }

  /**
   * The most buckets a native histogram keeps per label set; when observations span more, the scale
   * is lowered (coarser buckets). Default 160. Overridden by {@code
   * KTRDR_NATIVE_HISTOGRAM_MAX_BUCKETS}.
   */
  public KtrdrTelemetryBuilder nativeHistogramMaxBuckets(int maxBuckets) {
    if (maxBuckets < 2 || maxBuckets > 16384) {
      throw new IllegalArgumentException(
          "nativeHistogramMaxBuckets must be 2-16384, was " + maxBuckets);
    }
    this.nativeHistogramMaxBuckets = maxBuckets;
    return this;
  }

  /**
   * The finest scale a native histogram starts at (bucket width factor {@code 2^(2^-scale)}).
   * Default 20; Prometheus stores at most scale 8, so finer scales are exposed at 8. Overridden by
   * {@code KTRDR_NATIVE_HISTOGRAM_MAX_SCALE}.
   */
  public KtrdrTelemetryBuilder nativeHistogramMaxScale(int maxScale) {
    if (maxScale < -4 || maxScale > 20) {
      throw new IllegalArgumentException(
          "nativeHistogramMaxScale must be -4 to 20, was " + maxScale);
    }
    this.nativeHistogramMaxScale = maxScale;
    return this;
  }

  /**
   * Whether to export every trace this service saw fail (a span with status {@code ERROR}), even
   * when the sampler ({@code OTEL_TRACES_SAMPLER}) did not pick it. The decision is taken when the
   * trace's local root span ends; see {@code docs/tracing.md}. Default {@code false}. Overridden by
   * {@code KTRDR_TRACES_KEEP_ERRORS}.
   */
  public KtrdrTelemetryBuilder tracesKeepErrors(boolean keep) {
    this.tracesKeepErrors = keep;
    return this;
  }

  /**
   * Exports every trace whose local root span lasts longer than {@code threshold}, even when the
   * sampler did not pick it. Default: off. Overridden by {@code KTRDR_TRACES_KEEP_SLOWER_THAN}.
   */
  public KtrdrTelemetryBuilder tracesKeepSlowerThan(Duration threshold) {
    Objects.requireNonNull(threshold, "threshold");
    if (threshold.isNegative() || threshold.isZero()) {
      throw new IllegalArgumentException("tracesKeepSlowerThan must be positive, was " + threshold);
    }
    this.tracesKeepSlowerThan = threshold;
    return this;
  }

  /**
   * The most spans held while their trace waits for the keep decision ({@link #tracesKeepErrors},
   * {@link #tracesKeepSlowerThan}); beyond, the traces waiting longest are dropped and counted.
   * Default 2048. Overridden by {@code KTRDR_TRACES_BUFFER_MAX_SPANS}.
   */
  public KtrdrTelemetryBuilder tracesBufferMaxSpans(int maxSpans) {
    if (maxSpans < 1 || maxSpans > MAX_TRACES_BUFFER_SPANS) {
      throw new IllegalArgumentException(
          "tracesBufferMaxSpans must be 1-" + MAX_TRACES_BUFFER_SPANS + ", was " + maxSpans);
    }
    this.tracesBufferMaxSpans = maxSpans;
    return this;
  }

  /**
   * Applies the environment, builds the SDK and registers the metrics.
   *
   * @throws io.ktrdr.telemetry.config.ConfigException when an environment variable has an invalid
   *     value; the message names the key, the value and what was expected
   */
  public KtrdrTelemetry build() {
    KtrdrTelemetryBuilder effective = copy();
    Map<String, String> otel = EnvironmentLayer.apply(effective);
    return KtrdrTelemetry.create(effective, otel);
  }

  private static String requireText(String value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
    return value;
  }
}
