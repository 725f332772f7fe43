package io.ktrdr.telemetry;

import io.ktrdr.telemetry.http.HttpServerMetrics;
import io.ktrdr.telemetry.internal.TelemetryErrors;
import io.ktrdr.telemetry.metrics.MetricsHandler;
import io.ktrdr.telemetry.metrics.MetricsServer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.resources.ResourceBuilder;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
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
 * the handlers that expose them.
 *
 * <pre>{@code
 * KtrdrTelemetry telemetry = KtrdrTelemetry.setupMetrics("ktrdr-api");
 * Javalin app = Javalin.create(config -> {
 *   config.registerPlugin(new KtrdrJavalinPlugin(plugin -> plugin.telemetry = telemetry));
 *   config.routes.get("/api/v1/health", ctx -> ctx.json(Map.of("status", "ok")));
 * }).start(8000);
 * }</pre>
 *
 * <p>The metrics are OpenTelemetry SDK metrics read by the Prometheus exporter, plus client_java's
 * JVM and process metrics, all in one {@link PrometheusRegistry} served by {@link
 * #metricsHandler()}. The resource ({@code service.name}, {@code service.version}, {@code
 * deployment.environment.name}, host and process id) appears as {@code target_info}; process
 * command lines and executable paths are removed because they can carry secrets.
 *
 * <p>Standard {@code OTEL_*} variables work through OpenTelemetry's autoconfigure; the metrics
 * exporter defaults to {@code none} because Prometheus pulls.
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

  private static final AttributeKey<String> SERVICE_VERSION =
      AttributeKey.stringKey("service.version");
  private static final AttributeKey<String> DEPLOYMENT_ENVIRONMENT =
      AttributeKey.stringKey("deployment.environment.name");

  private final OpenTelemetrySdk sdk;
  private final Resource resource;
  private final PrometheusRegistry registry;
  private final TelemetryErrors errors;
  private final MetricsHandler metricsHandler;
  private final HttpServerMetrics httpServerMetrics;
  private final MetricsServer metricsServer;
  private final Thread shutdownHook;
  private final AtomicBoolean closed = new AtomicBoolean();

  private KtrdrTelemetry(
      OpenTelemetrySdk sdk,
      Resource resource,
      PrometheusRegistry registry,
      TelemetryErrors errors,
      MetricsHandler metricsHandler,
      MetricsServer metricsServer,
      boolean shutdownHook) {
    this.sdk = sdk;
    this.resource = resource;
    this.registry = registry;
    this.errors = errors;
    this.metricsHandler = metricsHandler;
    this.metricsServer = metricsServer;
    this.httpServerMetrics =
        HttpServerMetrics.create(meter(INSTRUMENTATION_SCOPE + ".http"), errors);
    this.shutdownHook = shutdownHook ? new Thread(this::close, "ktrdr-telemetry-shutdown") : null;
    if (this.shutdownHook != null) {
      Runtime.getRuntime().addShutdownHook(this.shutdownHook);
    }
  }

  /** Options: service identity, JVM metrics, {@code /metrics} protection, standalone server. */
  public static KtrdrTelemetryBuilder builder() {
    return new KtrdrTelemetryBuilder();
  }

  /**
   * Sets up metrics for {@code serviceName} with every other option at its default (or as the
   * environment says): the usual one-liner of a service.
   */
  public static KtrdrTelemetry setupMetrics(String serviceName) {
    return builder().serviceName(serviceName).build();
  }

  static KtrdrTelemetry create(KtrdrTelemetryBuilder options) {
    PrometheusRegistry registry = new PrometheusRegistry();
    PrometheusMetricReader reader = PrometheusMetricReader.builder().build();

    AtomicReference<Resource> finalResource = new AtomicReference<>(Resource.empty());
    Map<String, String> defaults = new HashMap<>();
    defaults.put("otel.metrics.exporter", "none");
    defaults.put("otel.traces.exporter", "none");
    defaults.put("otel.logs.exporter", "none");
    if (options.serviceName != null) {
      defaults.put("otel.service.name", options.serviceName);
    }
    AutoConfiguredOpenTelemetrySdkBuilder autoconfigure =
        AutoConfiguredOpenTelemetrySdk.builder()
            .disableShutdownHook()
            .addPropertiesSupplier(() -> defaults)
            .addResourceCustomizer(
                (resource, config) -> {
                  Resource customized = customizeResource(resource, options);
                  finalResource.set(customized);
                  return customized;
                })
            .addMeterProviderCustomizer((meters, config) -> meters.registerMetricReader(reader));
    if (options.environment != null) {
      Map<String, String> injected = EnvironmentLayer.otelProperties(options.environment);
      autoconfigure.addPropertiesCustomizer(config -> injected);
    }
    if (options.registerGlobal) {
      autoconfigure.setResultAsGlobal();
    }
    OpenTelemetrySdk sdk;
    Resource resource;
    try {
      AutoConfiguredOpenTelemetrySdk configured = autoconfigure.build();
      sdk = configured.getOpenTelemetrySdk();
      resource = finalResource.get();
    } catch (ConfigurationException e) {
      throw new IllegalArgumentException(
          "Invalid OpenTelemetry configuration (OTEL_* variables): " + e.getMessage(), e);
    }

    registry.register(reader);
    TelemetryErrors errors =
        TelemetryErrors.create(sdk.getMeterProvider().get(INSTRUMENTATION_SCOPE));
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
        "Telemetry ready: service.name={}, metrics auth={}, jvm metrics={}",
        resource.getAttribute(AttributeKey.stringKey("service.name")),
        options.metricsAuth,
        options.jvmMetrics);
    return new KtrdrTelemetry(
        sdk, resource, registry, errors, handler, server, options.shutdownHook);
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
   * Stops the metrics server, flushes and shuts down the SDK. Waits at most 10 seconds. Idempotent.
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
    CompletableResultCode result = sdk.shutdown().join(10, TimeUnit.SECONDS);
    if (!result.isSuccess()) {
      logger.warn("Telemetry shutdown did not complete within 10 s; some data may be lost");
    }
  }
}
