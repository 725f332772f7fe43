package io.ktrdr.telemetry;

import io.ktrdr.telemetry.http.HttpServerMetrics;
import io.ktrdr.telemetry.internal.ReportingSpanExporter;
import io.ktrdr.telemetry.internal.TelemetryErrors;
import io.ktrdr.telemetry.metrics.MetricsHandler;
import io.ktrdr.telemetry.metrics.MetricsServer;
import io.ktrdr.telemetry.operations.OperationTracker;
import io.ktrdr.telemetry.tracing.KtrdrTracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.resources.ResourceBuilder;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
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
 * correlation but nothing is sent. An unreachable collector is logged once per outage.
 *
 * <p><b>Logs</b>: the library logs through {@code slf4j-api} only and changes no logging
 * configuration. Applications on logback add {@code ktrdr-telemetry-logback} for JSON lines with
 * trace ids and the service context.
 *
 * <p>Standard {@code OTEL_*} variables work through OpenTelemetry's autoconfigure.
 */
public final class KtrdrTelemetry implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(KtrdrTelemetry.class);

  /** The instrumentation scope of the library's own instruments. */
  public static final String INSTRUMENTATION_SCOPE = "io.ktrdr.telemetry";

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

  private final OpenTelemetrySdk sdk;
  private final Resource resource;
  private final PrometheusRegistry registry;
  private final TelemetryErrors errors;
  private final MetricsHandler metricsHandler;
  private final HttpServerMetrics httpServerMetrics;
  private final KtrdrTracing tracing;
  private final OperationTracker operations;
  private final boolean tracingEnabled;
  private final MetricsServer metricsServer;
  private final Duration shutdownTimeout;
  private final Thread shutdownHook;
  private final AtomicBoolean closed = new AtomicBoolean();

  private KtrdrTelemetry(
      OpenTelemetrySdk sdk,
      Resource resource,
      PrometheusRegistry registry,
      TelemetryErrors errors,
      MetricsHandler metricsHandler,
      MetricsServer metricsServer,
      KtrdrTelemetryBuilder options) {
    this.sdk = sdk;
    this.resource = resource;
    this.registry = registry;
    this.errors = errors;
    this.metricsHandler = metricsHandler;
    this.metricsServer = metricsServer;
    this.tracingEnabled = options.tracing;
    this.shutdownTimeout = options.shutdownTimeout;
    this.httpServerMetrics =
        HttpServerMetrics.create(meter(INSTRUMENTATION_SCOPE + ".http"), errors);
    this.tracing = KtrdrTracing.create(sdk, INSTRUMENTATION_SCOPE);
    this.operations =
        OperationTracker.create(
            sdk.getTracer(INSTRUMENTATION_SCOPE + ".operations"),
            meter(INSTRUMENTATION_SCOPE + ".operations"),
            errors);
    this.shutdownHook =
        options.shutdownHook ? new Thread(this::close, "ktrdr-telemetry-shutdown") : null;
    if (this.shutdownHook != null) {
      Runtime.getRuntime().addShutdownHook(this.shutdownHook);
    }
  }

  /** Options: service identity, tracing, JVM metrics, {@code /metrics} protection, and more. */
  public static KtrdrTelemetryBuilder builder() {
    return new KtrdrTelemetryBuilder();
  }

  /**
   * Sets up metrics, tracing and log correlation for {@code serviceName}, every other option at its
   * default (or as the environment says).
   */
  public static KtrdrTelemetry setup(String serviceName) {
    return builder().serviceName(serviceName).build();
  }

  /** Sets up metrics only: no spans are recorded (tracing can still be enabled by environment). */
  public static KtrdrTelemetry setupMetrics(String serviceName) {
    return builder().serviceName(serviceName).tracing(false).build();
  }

  static KtrdrTelemetry create(KtrdrTelemetryBuilder options) {
    PrometheusRegistry registry = new PrometheusRegistry();
    PrometheusMetricReader reader = PrometheusMetricReader.builder().build();
    AtomicReference<Resource> finalResource = new AtomicReference<>(Resource.empty());
    AtomicReference<TelemetryErrors> errorsRef = new AtomicReference<>();
    AtomicReference<Meter> selfMeter = new AtomicReference<>();

    Map<String, String> defaults = new HashMap<>();
    defaults.put("otel.metrics.exporter", "none");
    defaults.put("otel.exporter.otlp.protocol", "http/protobuf");
    // The SDK's own metrics under their semantic-convention names (otel_sdk_processor_span_*,
    // otel_sdk_exporter_span_*) instead of the legacy camelCase ones (queueSize, ...).
    defaults.put("otel.experimental.sdk.telemetry.version", "latest");
    if (options.serviceName != null) {
      defaults.put("otel.service.name", options.serviceName);
    }
    if (options.otlpEndpoint != null) {
      defaults.put("otel.exporter.otlp.endpoint", options.otlpEndpoint);
    }
    AutoConfiguredOpenTelemetrySdkBuilder autoconfigure =
        AutoConfiguredOpenTelemetrySdk.builder()
            .disableShutdownHook()
            .addPropertiesSupplier(() -> defaults);
    if (options.environment != null) {
      Map<String, String> injected = EnvironmentLayer.otelProperties(options.environment);
      autoconfigure.addPropertiesCustomizer(config -> injected);
    }
    autoconfigure
        .addPropertiesCustomizer(config -> exporterChoices(config, options))
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
              return meters.registerMetricReader(reader, instrumentType -> limit);
            })
        .addSpanExporterCustomizer(
            (exporter, config) ->
                new ReportingSpanExporter(exporter, errorsRef::get, selfMeter::get));
    if (options.registerGlobal) {
      autoconfigure.setResultAsGlobal();
    }
    OpenTelemetrySdk sdk;
    try {
      sdk = autoconfigure.build().getOpenTelemetrySdk();
    } catch (ConfigurationException e) {
      throw new IllegalArgumentException(
          "Invalid OpenTelemetry configuration (OTEL_* variables): " + e.getMessage(), e);
    }
    Resource resource = finalResource.get();

    registry.register(reader);
    Meter meter = sdk.getMeterProvider().get(INSTRUMENTATION_SCOPE);
    TelemetryErrors errors = TelemetryErrors.create(meter);
    errorsRef.set(errors);
    selfMeter.set(meter);
    if (options.tracing) {
      ReportingSpanExporter.droppedSpansCounter(meter);
    }
    if (options.jvmMetrics) {
      JvmMetrics.builder().register(registry);
    }
    MetricsHandler handler = MetricsHandler.create(registry, options.metricsAuth, errors);
    MetricsServer server = null;
    if (options.metricsServerPort >= 0) {
      try {
        server =
            MetricsServer.builder(handler)
                .host(options.metricsServerHost)
                .port(options.metricsServerPort)
                .start();
      } catch (RuntimeException e) {
        sdk.close();
        throw e;
      }
    }
    logger.info(
        "Telemetry ready: service.name={}, tracing={}, metrics auth={}, jvm metrics={}",
        resource.getAttribute(SERVICE_NAME),
        options.tracing,
        options.metricsAuth,
        options.jvmMetrics);
    return new KtrdrTelemetry(sdk, resource, registry, errors, handler, server, options);
  }

  /**
   * Exporter choices that depend on other settings: spans go over OTLP only when an endpoint is
   * configured (so a bare start never tries to connect), and not at all when tracing is off.
   */
  private static Map<String, String> exporterChoices(
      ConfigProperties config, KtrdrTelemetryBuilder options) {
    Map<String, String> choices = new HashMap<>();
    boolean endpoint =
        config.getString("otel.exporter.otlp.endpoint") != null
            || config.getString("otel.exporter.otlp.traces.endpoint") != null;
    if (!options.tracing) {
      choices.put("otel.traces.exporter", "none");
      choices.put("otel.traces.sampler", "always_off");
    } else if (config.getString("otel.traces.exporter") == null) {
      choices.put("otel.traces.exporter", endpoint ? "otlp" : "none");
    }
    if (config.getString("otel.logs.exporter") == null) {
      choices.put("otel.logs.exporter", options.exportLogs && endpoint ? "otlp" : "none");
    }
    return choices;
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
   * collector the application registers.
   */
  public PrometheusRegistry prometheusRegistry() {
    return registry;
  }

  /** The {@code /metrics} handler, to mount on the application's own HTTP server. */
  public MetricsHandler metricsHandler() {
    return metricsHandler;
  }

  /** HTTP server metrics for server adapters; {@code KtrdrJavalinPlugin} uses it. */
  public HttpServerMetrics httpServerMetrics() {
    return httpServerMetrics;
  }

  /** Failures of the library itself, logged once and counted. */
  public TelemetryErrors errors() {
    return errors;
  }

  /** The standalone metrics server, when {@code metricsServerPort} or KTRDR_METRICS_PORT is set. */
  public Optional<MetricsServer> metricsServer() {
    return Optional.ofNullable(metricsServer);
  }

  /**
   * Stops the metrics server, exports pending spans and shuts the SDK down, waiting at most the
   * shutdown timeout (default 10 s) even when the collector hangs. Idempotent; also run by the JVM
   * shutdown hook.
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
    if (metricsServer != null) {
      metricsServer.close();
    }
    CompletableResultCode result =
        sdk.shutdown().join(shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!result.isSuccess()) {
      logger.warn(
          "Telemetry shutdown did not complete within {} ms; pending spans may be lost",
          shutdownTimeout.toMillis());
    }
  }
}
