package io.ktrdr.telemetry;

import io.ktrdr.telemetry.internal.errors.SdkErrors;
import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.ktrdr.telemetry.internal.export.BatchProcessors;
import io.ktrdr.telemetry.internal.export.ExportReporter;
import io.ktrdr.telemetry.internal.export.QuickExit;
import io.ktrdr.telemetry.internal.metrics.HistogramSetup;
import io.ktrdr.telemetry.internal.sampling.InboundTraceContext;
import io.ktrdr.telemetry.internal.sampling.TraceKeeper;
import io.ktrdr.telemetry.internal.scrape.MetricsServer;
import io.ktrdr.telemetry.internal.scrape.ScrapeReader;
import io.ktrdr.telemetry.internal.scrape.ScrapeRejections;
import io.ktrdr.telemetry.operations.OperationTracker;
import io.ktrdr.telemetry.tracing.KtrdrTracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.resources.ResourceBuilder;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.lang.reflect.Method;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point: one object that owns a service's OpenTelemetry SDK, its Prometheus registry and
 * the helpers that use them.
 *
 * <pre>{@code
 * KtrdrTelemetry telemetry = KtrdrTelemetry.setup("ktrdr-api");   // metrics, traces, logs
 * Javalin app = Javalin.create(config -> {
 *   config.registerPlugin(new KtrdrJavalinPlugin(plugin -> plugin.telemetry = telemetry));
 *   config.routes.get("/api/v1/health", ctx -> ctx.json(Map.of("status", "ok")));
 * }).start(8000);
 * }</pre>
 *
 * <p><b>Metrics</b>: OpenTelemetry SDK metrics read by the Prometheus exporter, plus client_java's
 * JVM and process metrics, in one {@link PrometheusRegistry} served by {@link #metricsHandler()}.
 * The resource ({@code service.name}, {@code service.version}, {@code deployment.environment.name},
 * {@code service.instance.id} for workers, host, process id) is {@code target_info}; command lines
 * and executable paths are removed because they can carry secrets.
 *
 * <p><b>Traces</b>: W3C trace context and baggage; spans exported over OTLP ({@code http/protobuf}
 * by default) in batches when {@code OTEL_EXPORTER_OTLP_ENDPOINT} (or {@link
 * KtrdrTelemetryBuilder#otlpEndpoint}) is set; without an endpoint spans still exist for log
 * correlation but nothing is sent. Export failures of every signal are logged when they start, at
 * most once a minute while they last, and when they end, and counted in {@code
 * ktrdr_telemetry_errors_total}.
 *
 * <p><b>Logs</b>: the library logs through {@code slf4j-api} only and changes no logging
 * configuration. Applications on logback add {@code ktrdr-telemetry-logback} for JSON lines with
 * trace ids and the service context.
 *
 * <p>Standard {@code OTEL_*} variables work through OpenTelemetry's autoconfigure; one the library
 * does not read is named in a warning and ignored; an invalid value of one it reads, or of a {@code
 * KTRDR_*} key, fails {@link KtrdrTelemetryBuilder#build()}.
 *
 * <p>A good guest: nothing global changes unless asked ({@code GlobalOpenTelemetry} only with
 * {@link KtrdrTelemetryBuilder#registerGlobal(boolean)}); every thread it starts is a daemon;
 * {@link #close()} stops them, unregisters every metric and leaves the JVM as it found it, except
 * that a registered {@code GlobalOpenTelemetry} stays set, to a no-op, since OpenTelemetry offers
 * no public way to unset it (see {@link KtrdrTelemetryBuilder#registerGlobal(boolean)}).
 */
public final class KtrdrTelemetry implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(KtrdrTelemetry.class);

  /** The instrumentation scope of the library's own instruments. */
  public static final String INSTRUMENTATION_SCOPE = TelemetryErrors.SCOPE;

  /** Resource attributes that can carry secrets (command-line arguments) and are never exported. */
  static final Set<String> REDACTED_RESOURCE_KEYS =
      Set.of(
          "process.command_line",
          "process.command_args",
          "process.command",
          "process.executable.path");

  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  private static final AttributeKey<String> SERVICE_VERSION =
      AttributeKey.stringKey("service.version");
  private static final AttributeKey<String> SERVICE_INSTANCE_ID =
      AttributeKey.stringKey("service.instance.id");
  private static final AttributeKey<String> DEPLOYMENT_ENVIRONMENT =
      AttributeKey.stringKey("deployment.environment.name");

  /** Spans per OTLP export by default ({@code OTEL_BSP_MAX_EXPORT_BATCH_SIZE}; the SDK's: 512). */
  static final int SPAN_BATCH_SIZE = 2048;

  /** Spans queued for export by default ({@code OTEL_BSP_MAX_QUEUE_SIZE}; the SDK's: 2048). */
  static final int SPAN_QUEUE_SIZE = 8192;

  private final OpenTelemetrySdk sdk;
  private final Resource resource;
  private final PrometheusRegistry registry;
  private final TelemetryErrors errors;
  private final MetricsHandler metricsHandler;
  private final KtrdrTracing tracing;
  private final OperationTracker operations;
  private final boolean tracingEnabled;
  private final @Nullable MetricsServer metricsServer;
  private final List<ExportReporter> reporters;
  private final Duration shutdownTimeout;
  private final boolean registerGlobal;
  private final @Nullable Thread shutdownHook;
  private final AtomicBoolean closed = new AtomicBoolean();

  private KtrdrTelemetry(
      OpenTelemetrySdk sdk,
      Resource resource,
      PrometheusRegistry registry,
      TelemetryErrors errors,
      MetricsHandler metricsHandler,
      @Nullable MetricsServer metricsServer,
      List<ExportReporter> reporters,
      KtrdrTelemetryBuilder options) {
    this.sdk = sdk;
    this.resource = resource;
    this.registry = registry;
    this.errors = errors;
    this.metricsHandler = metricsHandler;
    this.metricsServer = metricsServer;
    this.reporters = reporters;
    this.tracingEnabled = options.tracing;
    this.shutdownTimeout = options.shutdownTimeout;
    this.registerGlobal = options.registerGlobal;
    this.tracing = KtrdrTracing.create(sdk, INSTRUMENTATION_SCOPE);
    this.operations = OperationTracker.create(sdk);
    Thread hook = null;
    if (options.shutdownHook) {
      hook = new Thread(this::close, "ktrdr-telemetry-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
    }
    this.shutdownHook = hook;
  }

  /** Options: service identity, tracing, JVM metrics, {@code /metrics} protection, and more. */
  public static KtrdrTelemetryBuilder builder() {
    return new KtrdrTelemetryBuilder();
  }

  /**
   * Sets up metrics and tracing for {@code serviceName}, every other option at its default (or as
   * the environment says).
   */
  public static KtrdrTelemetry setup(String serviceName) {
    return builder().serviceName(serviceName).build();
  }

  /**
   * Sets up metrics only: no spans are recorded (tracing can still be enabled by environment). An
   * inbound {@code traceparent} is still honoured, so logs and outgoing calls keep the caller's
   * trace id.
   */
  public static KtrdrTelemetry setupMetrics(String serviceName) {
    return builder().serviceName(serviceName).tracing(false).build();
  }

  static KtrdrTelemetry create(KtrdrTelemetryBuilder options, Map<String, String> otel) {
    PrometheusRegistry registry = new PrometheusRegistry();
    // The stock PrometheusMetricReader's output, converted for less work per scrape.
    ScrapeReader reader = new ScrapeReader(options.metricsScrapeTimeout);
    HistogramSetup histograms =
        new HistogramSetup(
            HistogramSetup.Mode.valueOf(options.histogramMode.name()),
            options.histogramModeOverrides.entrySet().stream()
                .collect(
                    Collectors.toMap(
                        Map.Entry::getKey, e -> HistogramSetup.Mode.valueOf(e.getValue().name()))),
            options.nativeHistogramMaxBuckets,
            options.nativeHistogramMaxScale);
    AtomicReference<Resource> finalResource = new AtomicReference<>(Resource.empty());
    AtomicReference<@Nullable TelemetryErrors> errorsRef = new AtomicReference<>();
    AtomicReference<@Nullable Meter> selfMeter = new AtomicReference<>();
    ExportReporter spanReporter = ExportReporter.spans(errorsRef::get, selfMeter::get);
    ExportReporter logReporter = ExportReporter.logs(errorsRef::get, selfMeter::get);
    ExportReporter metricReporter = ExportReporter.metrics(errorsRef::get, selfMeter::get);
    // The batch processors report queue-full drops through it once the SDK is built.
    AtomicReference<@Nullable MeterProvider> sdkMeters = new AtomicReference<>();

    Map<String, String> properties = properties(options, otel);
    StartupChecks.beforeBuild(options, properties);
    StartupChecks.LogIntegration logIntegration =
        new StartupChecks.LogIntegration(options.startupCheckScheduler);
    AutoConfiguredOpenTelemetrySdkBuilder autoconfigure =
        AutoConfiguredOpenTelemetrySdk.builder()
            .disableShutdownHook()
            .addResourceCustomizer(
                (resource, config) -> {
                  Resource customized = customizeResource(resource, options);
                  finalResource.set(customized);
                  return customized;
                })
            .addMeterProviderCustomizer(
                (meters, config) -> {
                  // Readers added here do not get autoconfigure's limit: apply it ourselves.
                  int limit = config.getInt("otel.java.metrics.cardinality.limit", 2000);
                  if (limit < 1) {
                    throw new ConfigurationException(
                        "otel.java.metrics.cardinality.limit=" + limit + ": expected at least 1");
                  }
                  histograms.registerViews(meters, limit);
                  return meters.registerMetricReader(
                      histograms.reader(reader), instrumentType -> limit);
                })
            .addSpanExporterCustomizer(
                (exporter, config) ->
                    spanReporter.wrap(QuickExit.spans(exporter, spanReporter, config)))
            .addSpanProcessorCustomizer(
                (processor, config) ->
                    BatchProcessors.spans(processor, config, spanReporter, sdkMeters::get))
            .addLogRecordExporterCustomizer(
                (exporter, config) ->
                    logReporter.wrap(QuickExit.logs(exporter, logReporter, config)))
            .addLogRecordProcessorCustomizer(
                (processor, config) ->
                    BatchProcessors.logs(processor, config, logReporter, sdkMeters::get))
            .addLogRecordProcessorCustomizer((processor, config) -> logIntegration.watch(processor))
            .addMetricExporterCustomizer(
                (exporter, config) ->
                    metricReporter.wrap(QuickExit.metrics(exporter, metricReporter, config)));
    // Inbound trace context at the edge: bounded propagation, and the caller's flag ignored.
    InboundTraceContext.Settings inboundSettings = options.inboundSettings();
    if (options.tracesInbound == InboundTraces.IGNORE_SAMPLED) {
      autoconfigure.addSamplerCustomizer(
          (sampler, config) -> InboundTraceContext.ignoringUntrustedFlags(sampler));
    }
    TraceKeeper keeper = traceKeeper(options, properties);
    if (keeper != null) {
      autoconfigure
          .addSamplerCustomizer((sampler, config) -> keeper.sampler(sampler))
          .addSpanProcessorCustomizer((processor, config) -> keeper.wrap(processor));
    }
    useOnly(autoconfigure, DefaultConfigProperties.createFromMap(properties));
    OpenTelemetrySdk sdk;
    try {
      sdk = autoconfigure.build().getOpenTelemetrySdk();
    } catch (ConfigurationException e) {
      throw new IllegalArgumentException(
          "Invalid OpenTelemetry configuration (OTEL_* variables): " + e.getMessage(), e);
    }
    Resource resource = Objects.requireNonNull(finalResource.get(), "resource");

    registry.register(histograms.collector(reader));
    Meter meter = sdk.getMeterProvider().get(INSTRUMENTATION_SCOPE);
    TelemetryErrors errors = TelemetryErrors.create(sdk);
    // The one reporter of this SDK: the filter, HTTP metrics and operations find it (SdkErrors).
    SdkErrors.register(sdk, errors);
    errorsRef.set(errors);
    selfMeter.set(meter);
    sdkMeters.set(sdk.getMeterProvider());
    ExportReporter.droppedCounter(meter);
    if (inboundSettings.changesAnything()) {
      InboundTraceContext inbound = InboundTraceContext.create(inboundSettings);
      inbound.bindMetrics(meter);
      inbound.register(sdk);
      logger.info(
          "Inbound trace context: {}; sampler {}",
          inboundSettings.describe(),
          properties.getOrDefault("otel.traces.sampler", "parentbased_always_on"));
    }
    if (keeper != null) {
      keeper.bindMetrics(meter);
      logger.info("Traces the sampler does not pick are kept for: {}", keeper.describe());
    }
    if (options.jvmMetrics) {
      registerJvmMetrics(registry);
    }
    MetricsHandler handler =
        MetricsHandler.create(
            registry,
            options.metricsAuth,
            errors,
            new ScrapeRejections(sdk),
            options.metricsScrapeTimeout,
            options.metricsMaxConcurrentScrapes);
    MetricsServer server = null;
    if (options.metricsServerPort >= 0) {
      try {
        server =
            MetricsServer.start(
                new MetricsServer.Endpoint(
                    handler::handle, handler.rejections(), handler.errors(), handler.budget()),
                options.metricsServerHost,
                options.metricsServerPort,
                MetricsServer.Limits.defaults()
                    .withMaxConnections(options.metricsServerMaxConnections)
                    .withHeaderTimeout(options.metricsServerHeaderTimeout));
      } catch (RuntimeException e) {
        handler.close();
        sdk.shutdown().join(options.shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS);
        registry.clear();
        SdkErrors.unregister(sdk);
        throw e;
      }
    }
    logger.info(
        "Telemetry ready: service.name={}, tracing={}, traces exporter={}, metrics auth={},"
            + " jvm metrics={}, histograms={}, standalone metrics server={}",
        resource.getAttribute(SERVICE_NAME),
        StartupChecks.sdkDisabled(properties)
            ? "off (OTEL_SDK_DISABLED=true)"
            : options.tracing ? "on" : "off",
        StartupChecks.sdkDisabled(properties) ? "none" : describeTraceExport(properties),
        options.metricsAuth.scheme(),
        options.jvmMetrics,
        options.histogramMode.key(),
        server == null ? "off" : "http://" + server.host() + ":" + server.port() + "/metrics");
    KtrdrTelemetry telemetry =
        new KtrdrTelemetry(
            sdk,
            resource,
            registry,
            errors,
            handler,
            server,
            List.of(spanReporter, logReporter, metricReporter),
            options);
    // Last, once nothing else can fail: a failed build then leaves the global as it was.
    if (options.registerGlobal) {
      try {
        GlobalRegistration.register(sdk);
      } catch (RuntimeException e) {
        telemetry.close();
        throw e;
      }
    }
    logIntegration.schedule();
    return telemetry;
  }

  /**
   * The keeper of error and slow traces, when asked for ({@code KTRDR_TRACES_KEEP_*}) and spans are
   * exported at all.
   */
  private static @Nullable TraceKeeper traceKeeper(
      KtrdrTelemetryBuilder options, Map<String, String> properties) {
    boolean asked = options.tracesKeepErrors || options.tracesKeepSlowerThan != null;
    if (!options.tracing || !asked || "none".equals(properties.get("otel.traces.exporter"))) {
      return null;
    }
    return TraceKeeper.create(
        options.tracesKeepErrors, options.tracesKeepSlowerThan, options.tracesBufferMaxSpans);
  }

  /**
   * The JVM and process metrics of client_java, registered one by one so that {@link #close()} can
   * take them out again ({@code JvmMetrics} remembers registries in a static set). The allocation
   * counter ({@code jvm_memory_pool_allocated_bytes_total}) is left out: it attaches GC listeners
   * that client_java cannot detach.
   */
  private static void registerJvmMetrics(PrometheusRegistry registry) {
    JvmThreadsMetrics.builder().register(registry);
    JvmBufferPoolMetrics.builder().register(registry);
    JvmClassLoadingMetrics.builder().register(registry);
    JvmCompilationMetrics.builder().register(registry);
    JvmGarbageCollectorMetrics.builder().register(registry);
    JvmMemoryMetrics.builder().register(registry);
    JvmRuntimeInfoMetric.builder().register(registry);
    ProcessMetrics.builder().register(registry);
  }

  /**
   * The whole OpenTelemetry configuration: the library's defaults, the {@code OTEL_*} settings of
   * the environment (only those of {@link KtrdrTelemetryBuilder#environment} when one was given),
   * and the exporter choices that depend on both.
   */
  static Map<String, String> properties(KtrdrTelemetryBuilder options, Map<String, String> otel) {
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
    ConfigProperties config = DefaultConfigProperties.createFromMap(properties);
    // Each signal is exported when it has an endpoint: the shared one or its own (a stack that
    // sends
    // spans to Jaeger and log records to Loki sets only the per-signal ones).
    boolean baseEndpoint = config.getString("otel.exporter.otlp.endpoint") != null;
    boolean endpoint =
        baseEndpoint || config.getString("otel.exporter.otlp.traces.endpoint") != null;
    boolean logsEndpoint =
        baseEndpoint || config.getString("otel.exporter.otlp.logs.endpoint") != null;
    // Fewer, larger OTLP exports cost less CPU per span (docs/tracing.md, performance notes); the
    // queue holds four batches so that one full batch does not mean dropping.
    if (config.getString("otel.bsp.max.queue.size") == null) {
      properties.put("otel.bsp.max.queue.size", Integer.toString(SPAN_QUEUE_SIZE));
    }
    if (config.getString("otel.bsp.max.export.batch.size") == null) {
      int queue = config.getInt("otel.bsp.max.queue.size", SPAN_QUEUE_SIZE);
      properties.put(
          "otel.bsp.max.export.batch.size", Integer.toString(Math.min(SPAN_BATCH_SIZE, queue)));
    }
    if (!options.tracing) {
      properties.put("otel.traces.exporter", "none");
      properties.put("otel.traces.sampler", "always_off");
    } else if (config.getString("otel.traces.exporter") == null) {
      properties.put("otel.traces.exporter", endpoint ? "otlp" : "none");
    }
    if (config.getString("otel.logs.exporter") == null) {
      properties.put("otel.logs.exporter", options.exportLogs && logsEndpoint ? "otlp" : "none");
    }
    if (options.tracing && options.tracesInbound != InboundTraces.TRUST) {
      // A caller chooses the trace id bits traceidratio reads: at the edge, hash them with a key.
      String sampler = properties.getOrDefault("otel.traces.sampler", "parentbased_always_on");
      properties.put("otel.traces.sampler", InboundTraceContext.edgeSampler(sampler));
    }
    // Prometheus is served by this library (handler or standalone server), never by autoconfigure.
    List<String> metricExporters = new ArrayList<>(config.getList("otel.metrics.exporter"));
    metricExporters.remove("prometheus");
    properties.put(
        "otel.metrics.exporter",
        metricExporters.isEmpty() ? "none" : String.join(",", metricExporters));
    return properties;
  }

  /**
   * Makes autoconfigure read {@code config} and nothing else: without this it also reads the
   * process environment and system properties, and {@link KtrdrTelemetryBuilder#environment} would
   * not be the whole environment. autoconfigure offers this only package-private ({@code
   * setConfig}); a version without it fails here, loudly, instead of reading the real environment.
   */
  private static void useOnly(
      AutoConfiguredOpenTelemetrySdkBuilder builder, ConfigProperties config) {
    try {
      Method setConfig =
          AutoConfiguredOpenTelemetrySdkBuilder.class.getDeclaredMethod(
              "setConfig", ConfigProperties.class);
      setConfig.setAccessible(true);
      setConfig.invoke(builder, config);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "This version of opentelemetry-sdk-extension-autoconfigure cannot be given its whole"
              + " configuration; use the version ktrdr-telemetry was built with",
          e);
    }
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
    } catch (java.net.URISyntaxException e) {
      return "<not a URL>";
    }
  }

  private static Resource customizeResource(Resource resource, KtrdrTelemetryBuilder options) {
    ResourceBuilder builder = resource.toBuilder();
    builder.removeIf(key -> REDACTED_RESOURCE_KEYS.contains(key.getKey()));
    if (resource.getAttribute(SERVICE_VERSION) == null && options.serviceVersion != null) {
      builder.put(SERVICE_VERSION, options.serviceVersion);
    }
    if (resource.getAttribute(DEPLOYMENT_ENVIRONMENT) == null) {
      builder.put(DEPLOYMENT_ENVIRONMENT, options.deploymentEnvironment);
    }
    if (resource.getAttribute(SERVICE_INSTANCE_ID) == null && options.workerId != null) {
      builder.put(SERVICE_INSTANCE_ID, options.workerId);
    }
    return builder.build();
  }

  /** The OpenTelemetry API to instrument with (meters, tracers, propagators). */
  public OpenTelemetry openTelemetry() {
    return sdk;
  }

  /**
   * A meter for the application's own metrics, served at {@code /metrics} with everything else.
   * KTRDR's business metrics use the {@code ktrdr.} prefix ({@code ktrdr.operations} becomes {@code
   * ktrdr_operations_total}).
   */
  public Meter meter(String instrumentationScope) {
    return sdk.getMeterProvider().get(instrumentationScope);
  }

  /** Tracing helpers: blocks in spans, executors, HTTP clients and data sources that propagate. */
  public KtrdrTracing tracing() {
    return tracing;
  }

  /** Spans, log context and metrics for long-running operations. */
  public OperationTracker operations() {
    return operations;
  }

  /** Whether server spans are recorded (see {@link KtrdrTelemetryBuilder#tracing(boolean)}). */
  public boolean tracingEnabled() {
    return tracingEnabled;
  }

  /** The resource every signal carries; {@code target_info} in Prometheus. */
  public Resource resource() {
    return resource;
  }

  /**
   * The registry {@code /metrics} serves: OpenTelemetry metrics, JVM metrics, and any client_java
   * collector the application registers. Emptied by {@link #close()}.
   */
  public PrometheusRegistry prometheusRegistry() {
    return registry;
  }

  /** The {@code /metrics} handler, to mount on the application's own HTTP server. */
  public MetricsHandler metricsHandler() {
    return metricsHandler;
  }

  /**
   * The port of the standalone metrics server ({@code KTRDR_METRICS_PORT}, {@code
   * OTEL_EXPORTER_PROMETHEUS_PORT} or {@link KtrdrTelemetryBuilder#metricsServerPort}), when one
   * runs.
   */
  public OptionalInt metricsServerPort() {
    return metricsServer == null ? OptionalInt.empty() : OptionalInt.of(metricsServer.port());
  }

  /** Failures of the library itself (tests). */
  TelemetryErrors errors() {
    return errors;
  }

  /**
   * Stops the metrics server, exports pending spans and shuts the SDK down, waiting at most the
   * shutdown timeout (default 10 s) even when the collector hangs, and returning at once when
   * nothing is pending. A collector already known to be down is not waited for. Then unregisters
   * every metric. Idempotent; also run by the JVM shutdown hook.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // The JVM is exiting; the hook runs or has run.
      }
    }
    reporters.forEach(ExportReporter::closing);
    if (registerGlobal) {
      GlobalRegistration.release(sdk);
    }
    if (metricsServer != null) {
      metricsServer.close();
    }
    metricsHandler.close();
    CompletableResultCode result =
        sdk.shutdown().join(shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!result.isDone()) {
      logger.warn(
          "Telemetry shutdown did not complete within {} ms; pending spans may be lost",
          shutdownTimeout.toMillis());
    }
    registry.clear();
    InboundTraceContext.unregister(sdk);
    SdkErrors.unregister(sdk);
  }
}
