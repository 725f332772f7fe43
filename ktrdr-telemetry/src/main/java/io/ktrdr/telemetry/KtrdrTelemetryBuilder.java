package io.ktrdr.telemetry;

import io.ktrdr.telemetry.internal.sampling.InboundTraceContext;
import io.ktrdr.telemetry.internal.sampling.TraceKeeper;
import io.ktrdr.telemetry.internal.scrape.MetricsServer;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
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
  boolean metricsScopeLabels = true;
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
  // Inbound trace context (edge services); -1 and null: the policy's default.
  InboundTraces tracesInbound = InboundTraces.TRUST;
  @Nullable Set<String> tracesInboundBaggageKeys;
  int tracesInboundBaggageMaxEntries = -1;
  int tracesInboundBaggageMaxBytes = -1;
  int tracesInboundTraceStateMaxEntries = -1;
  int tracesInboundTraceStateMaxChars = -1;
  Duration metricsScrapeTimeout = DEFAULT_SCRAPE_TIMEOUT;
  int metricsMaxConcurrentScrapes = DEFAULT_MAX_CONCURRENT_SCRAPES;
  int metricsServerMaxConnections = MetricsServer.Limits.DEFAULT_MAX_CONNECTIONS;
  Duration metricsServerHeaderTimeout = MetricsServer.Limits.DEFAULT_HEADER_TIMEOUT;
  // When the no-logging-integration check runs; tests run it when they choose.
  Consumer<Runnable> startupCheckScheduler = StartupChecks.AFTER_GRACE;

  static final int DEFAULT_NATIVE_MAX_BUCKETS = 160;
  static final int DEFAULT_NATIVE_MAX_SCALE = 20;
  static final int MAX_TRACES_BUFFER_SPANS = 1_000_000;
  static final Duration DEFAULT_SCRAPE_TIMEOUT = Duration.ofSeconds(10);
  static final int DEFAULT_MAX_CONCURRENT_SCRAPES = 4;

  KtrdrTelemetryBuilder() {}

  KtrdrTelemetryBuilder copy() {
    KtrdrTelemetryBuilder copy = new KtrdrTelemetryBuilder();
    copy.serviceName = serviceName;
    copy.serviceVersion = serviceVersion;
    copy.deploymentEnvironment = deploymentEnvironment;
    copy.jvmMetrics = jvmMetrics;
    copy.metricsScopeLabels = metricsScopeLabels;
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
    copy.tracesInbound = tracesInbound;
    copy.tracesInboundBaggageKeys = tracesInboundBaggageKeys;
    copy.tracesInboundBaggageMaxEntries = tracesInboundBaggageMaxEntries;
    copy.tracesInboundBaggageMaxBytes = tracesInboundBaggageMaxBytes;
    copy.tracesInboundTraceStateMaxEntries = tracesInboundTraceStateMaxEntries;
    copy.tracesInboundTraceStateMaxChars = tracesInboundTraceStateMaxChars;
    copy.metricsScrapeTimeout = metricsScrapeTimeout;
    copy.metricsMaxConcurrentScrapes = metricsMaxConcurrentScrapes;
    copy.startupCheckScheduler = startupCheckScheduler;
    copy.metricsServerMaxConnections = metricsServerMaxConnections;
    copy.metricsServerHeaderTimeout = metricsServerHeaderTimeout;
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
   * Whether OpenTelemetry metrics carry the {@code otel_scope_name} label (and {@code
   * otel_scope_version}, {@code otel_scope_schema_url} where the scope has them) on every sample,
   * as the OpenTelemetry-Prometheus compatibility rules ask. Default {@code true}. Without them the
   * scrape body is smaller (docs/performance.md, "Scrape"), but two instruments of the same name
   * from different scopes are no longer told apart, and a query or dashboard that selects on {@code
   * otel_scope_name} finds nothing. Overridden by {@code KTRDR_METRICS_SCOPE_LABELS_ENABLED}.
   */
  public KtrdrTelemetryBuilder metricsScopeLabels(boolean enabled) {
    this.metricsScopeLabels = enabled;
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
   * The longest a scrape waits for the collection of the metrics (the time the SDK's asynchronous
   * callbacks and the registry's collectors take); past it, the scrape is answered {@code 503} with
   * {@code Retry-After} and its thread is free, while the collection, shared by every scrape that
   * arrives meanwhile, goes on. A lower {@code X-Prometheus-Scrape-Timeout-Seconds} (sent by
   * Prometheus) lowers it to 90% of that value. Default 10 seconds (Prometheus' default scrape
   * timeout).
   */
  public KtrdrTelemetryBuilder metricsScrapeTimeout(Duration timeout) {
    this.metricsScrapeTimeout = requirePositive(timeout, "metricsScrapeTimeout");
    return this;
  }

  /**
   * The most scrapes in progress at once (waiting for the collection or encoding their response);
   * one more is answered {@code 503} with {@code Retry-After: 1} at once, costing no thread. Keeps
   * a flood of scrapes from taking the CPU and the threads of the application's own requests.
   * Default 4 (a Prometheus pair and a person with {@code curl}).
   */
  public KtrdrTelemetryBuilder metricsMaxConcurrentScrapes(int maxScrapes) {
    if (maxScrapes < 1 || maxScrapes > 1024) {
      throw new IllegalArgumentException(
          "metricsMaxConcurrentScrapes must be 1-1024, was " + maxScrapes);
    }
    this.metricsMaxConcurrentScrapes = maxScrapes;
    return this;
  }

  /**
   * The most connections the standalone metrics server ({@link #metricsServerPort}) keeps open; at
   * the limit, a new connection closes the oldest one still sending its request head (else the
   * oldest idle one; else the new one is closed). Default 1024.
   */
  public KtrdrTelemetryBuilder metricsServerMaxConnections(int maxConnections) {
    if (maxConnections < 1 || maxConnections > 65536) {
      throw new IllegalArgumentException(
          "metricsServerMaxConnections must be 1-65536, was " + maxConnections);
    }
    this.metricsServerMaxConnections = maxConnections;
    return this;
  }

  /**
   * The time a client of the standalone metrics server has to send a whole request head, from the
   * connection (or from the first byte of a request on a kept-alive one), whatever its rate; then
   * it gets {@code 408} and is closed. Default 10 seconds.
   */
  public KtrdrTelemetryBuilder metricsServerHeaderTimeout(Duration timeout) {
    this.metricsServerHeaderTimeout = requirePositive(timeout, "metricsServerHeaderTimeout");
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
   * How requests' trace context is treated: {@link InboundTraces#TRUST} (the caller's context is
   * the parent), or, for a service that faces untrusted callers, {@link
   * InboundTraces#IGNORE_SAMPLED} or {@link InboundTraces#NEW_ROOT}; at the edge, baggage and
   * {@code tracestate} are dropped unless allowed below, and {@code traceidratio} samplers become
   * keyed ones. Default {@code TRUST}. Overridden by {@code KTRDR_TRACES_INBOUND}.
   */
  public KtrdrTelemetryBuilder tracesInbound(InboundTraces policy) {
    this.tracesInbound = Objects.requireNonNull(policy, "policy");
    return this;
  }

  /**
   * The baggage keys accepted from callers (and so forwarded downstream); others are dropped and
   * counted. {@code *} accepts every key. Default: every key ({@code TRUST}), none at the edge.
   * Overridden by {@code KTRDR_TRACES_INBOUND_BAGGAGE_KEYS}.
   */
  public KtrdrTelemetryBuilder tracesInboundBaggageKeys(Collection<String> keys) {
    Objects.requireNonNull(keys, "keys");
    for (String key : keys) {
      if (!isBaggageKey(key) && !"*".equals(key)) {
        throw new IllegalArgumentException(
            "tracesInboundBaggageKeys must be baggage keys (W3C tokens) or *, was " + key);
      }
    }
    this.tracesInboundBaggageKeys = Set.copyOf(keys);
    return this;
  }

  /**
   * The most baggage entries accepted from a caller, 0-180 (0 drops all; OpenTelemetry's propagator
   * reads at most 64). Default 64, 8 at the edge. Overridden by {@code
   * KTRDR_TRACES_INBOUND_BAGGAGE_MAX_ENTRIES}.
   */
  public KtrdrTelemetryBuilder tracesInboundBaggageMaxEntries(int maxEntries) {
    this.tracesInboundBaggageMaxEntries =
        inRange(
            maxEntries, InboundTraceContext.MAX_BAGGAGE_ENTRIES, "tracesInboundBaggageMaxEntries");
    return this;
  }

  /**
   * The most bytes of baggage ({@code key=value} entries) accepted from a caller, 0-8192. Default
   * 8192, 512 at the edge. Overridden by {@code KTRDR_TRACES_INBOUND_BAGGAGE_MAX_BYTES}.
   */
  public KtrdrTelemetryBuilder tracesInboundBaggageMaxBytes(int maxBytes) {
    this.tracesInboundBaggageMaxBytes =
        inRange(maxBytes, InboundTraceContext.MAX_BAGGAGE_BYTES, "tracesInboundBaggageMaxBytes");
    return this;
  }

  /**
   * The most {@code tracestate} entries accepted from a caller, 0-32 (0 drops it). Default 32, 0 at
   * the edge. Overridden by {@code KTRDR_TRACES_INBOUND_TRACESTATE_MAX_ENTRIES}.
   */
  public KtrdrTelemetryBuilder tracesInboundTraceStateMaxEntries(int maxEntries) {
    this.tracesInboundTraceStateMaxEntries =
        inRange(
            maxEntries,
            InboundTraceContext.MAX_TRACESTATE_ENTRIES,
            "tracesInboundTraceStateMaxEntries");
    return this;
  }

  /**
   * The most characters of {@code tracestate} accepted from a caller, 0-512. Default 512, 256 at
   * the edge. Overridden by {@code KTRDR_TRACES_INBOUND_TRACESTATE_MAX_CHARS}.
   */
  public KtrdrTelemetryBuilder tracesInboundTraceStateMaxChars(int maxChars) {
    this.tracesInboundTraceStateMaxChars =
        inRange(
            maxChars, InboundTraceContext.MAX_TRACESTATE_CHARS, "tracesInboundTraceStateMaxChars");
    return this;
  }

  InboundTraceContext.Settings inboundSettings() {
    return new InboundTraceContext.Settings(
        tracesInbound.key(),
        tracesInboundBaggageKeys,
        tracesInboundBaggageMaxEntries,
        tracesInboundBaggageMaxBytes,
        tracesInboundTraceStateMaxEntries,
        tracesInboundTraceStateMaxChars);
  }

  private static int inRange(int value, int max, String name) {
    if (value < 0 || value > max) {
      throw new IllegalArgumentException(name + " must be 0-" + max + ", was " + value);
    }
    return value;
  }

  /** A W3C baggage key: an HTTP token (RFC 9110 {@code tchar}s). */
  static boolean isBaggageKey(String key) {
    if (key == null || key.isEmpty()) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      boolean tchar =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!tchar) {
        return false;
      }
    }
    return true;
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
    return SdkAssembly.create(effective, otel);
  }

  private static Duration requirePositive(Duration value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
    return value;
  }

  private static String requireText(String value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
    return value;
  }
}
