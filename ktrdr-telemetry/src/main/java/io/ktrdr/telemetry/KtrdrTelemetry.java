package io.ktrdr.telemetry;

import io.ktrdr.telemetry.internal.errors.SdkErrors;
import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.ktrdr.telemetry.internal.export.ExportReporter;
import io.ktrdr.telemetry.internal.sampling.InboundTraceContext;
import io.ktrdr.telemetry.internal.scrape.MetricsServer;
import io.ktrdr.telemetry.operations.OperationTracker;
import io.ktrdr.telemetry.tracing.KtrdrTracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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

  /** Built by {@link SdkAssembly}, which also undoes a failed build. */
  KtrdrTelemetry(
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
