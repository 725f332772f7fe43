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
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
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
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a {@link KtrdrTelemetry}: the OpenTelemetry SDK through autoconfigure's public hooks (the
 * library's readers, exporters wrapped for failure reporting, samplers and the keep buffer), the
 * Prometheus registry, the {@code /metrics} handler and the standalone server. A failure on the way
 * undoes what was built so far.
 */
final class SdkAssembly {
  private static final Logger logger = LoggerFactory.getLogger(KtrdrTelemetry.class);

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

  private SdkAssembly() {}

  /** Builds the SDK and everything that uses it, as {@code options} and {@code otel} say. */
  static KtrdrTelemetry create(KtrdrTelemetryBuilder options, Map<String, String> otel) {
    PrometheusRegistry registry = new PrometheusRegistry();
    // The stock PrometheusMetricReader's output, converted for less work per scrape.
    ScrapeReader reader =
        new ScrapeReader(options.metricsScrapeTimeout, options.metricsScopeLabels);
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

    Map<String, String> properties = OtelProperties.resolve(options, otel);
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
    // Through the public hook: what the library read wins over what autoconfigure reads itself.
    Map<String, String> overrides =
        OtelProperties.overrides(properties, System.getenv(), System.getProperties());
    autoconfigure.addPropertiesCustomizer(config -> overrides);
    if (options.environment != null) {
      Set<String> leaked =
          OtelProperties.leakedText(properties, System.getenv(), System.getProperties());
      if (!leaked.isEmpty()) {
        logger.warn(
            "An environment was injected, but OpenTelemetry's autoconfigure also reads these"
                + " process settings, which have no 'unset' value: {}",
            String.join(", ", leaked));
      }
    }
    OpenTelemetrySdk sdk;
    try {
      sdk = autoconfigure.build().getOpenTelemetrySdk();
    } catch (ConfigurationException e) {
      throw new IllegalArgumentException(
          "Invalid OpenTelemetry configuration (OTEL_* variables): " + e.getMessage(), e);
    }
    Resource resource = Objects.requireNonNull(finalResource.get(), "resource");

    registry.register(histograms.collector(reader));
    Meter meter = sdk.getMeterProvider().get(KtrdrTelemetry.INSTRUMENTATION_SCOPE);
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
        StartupChecks.sdkDisabled(properties)
            ? "none"
            : OtelProperties.describeTraceExport(properties),
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
}
