package io.ktrdr.telemetry.javalin;

import io.javalin.config.JavalinState;
import io.javalin.http.Handler;
import io.javalin.plugin.Plugin;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.MetricsHandler;
import io.ktrdr.telemetry.http.ServletTelemetryFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.jspecify.annotations.Nullable;

/**
 * Javalin 7 plugin: HTTP server metrics and server spans for every request, and {@code /metrics} on
 * the app's own port.
 *
 * <pre>{@code
 * KtrdrTelemetry telemetry = KtrdrTelemetry.setupMetrics("ktrdr-api");
 * Javalin.create(config -> {
 *   config.registerPlugin(new KtrdrJavalinPlugin(plugin -> {
 *     plugin.telemetry = telemetry;
 *     plugin.excludedPaths = List.of("/api/v1/health");
 *   }));
 *   config.routes.get("/api/v1/data/{symbol}/{timeframe}", DataController::bars);
 * });
 * }</pre>
 *
 * <p>Records {@code http.server.request.duration} and {@code http.server.active_requests} (see
 * {@link ServletTelemetryFilter}, which the plugin installs) with {@code http.route} set to the
 * matched route template, e.g. {@code /api/v1/data/{symbol}/{timeframe}}. A request that matches no
 * route (404, 405, a HEAD answered from a GET route) has no {@code http.route}; the raw path is
 * never used.
 *
 * <p>With tracing on, each request gets a server span named {@code GET
 * /api/v1/data/{symbol}/{timeframe}} (method and route template) with the HTTP semantic-convention
 * attributes, child of the incoming W3C {@code traceparent} (a malformed one starts a new trace).
 * The span is current while Javalin handles the request, so log lines and child spans carry its
 * trace id and the duration histogram carries it as an exemplar. With tracing off, the caller's
 * {@code traceparent}/{@code baggage} still become the current context.
 *
 * <p>The route comes from Javalin's matched endpoint (a {@code beforeMatched} handler), so the
 * plugin composes with the application's own {@code handlerWrapper}, before/after handlers, path
 * groups and virtual threads (the request is handled on the thread the filter runs on, where the
 * context is current).
 */
public final class KtrdrJavalinPlugin extends Plugin<KtrdrJavalinPlugin.Config> {

  /** Options of the plugin; set them in the consumer passed to the constructor. */
  public static final class Config {
    /** The telemetry to record into. Required. */
    public @Nullable KtrdrTelemetry telemetry;

    /**
     * Where to serve the scrape ({@code GET} and {@code HEAD}). Default {@code /metrics}; {@code
     * null} serves nothing (mount {@link #metricsHandler(MetricsHandler)} yourself). Scrapes of
     * this path are never counted as traffic.
     */
    public @Nullable String metricsPath = "/metrics";

    /**
     * More request paths not recorded: exact paths, or prefixes ending in {@code *}. Default: none
     * (the metrics path is always excluded).
     */
    public List<String> excludedPaths = List.of();

    /**
     * Requests whose caller is trusted whatever the telemetry's inbound policy ({@code
     * KTRDR_TRACES_INBOUND}): their trace context is taken as with {@code trust}, so that a service
     * facing untrusted callers still continues the traces of its own authenticated peers. Asked
     * before any handler runs, so it must be cheap and decide on what the request carries (a
     * credential compared in constant time, not a session lookup); an exception counts as not
     * trusted. Default {@code null}: no caller is trusted at the edge. Not asked with {@code
     * trust}.
     */
    public @Nullable Predicate<HttpServletRequest> trustedCallers;
  }

  /** Creates the plugin; {@code userConfig} must set {@link Config#telemetry}. */
  public KtrdrJavalinPlugin(Consumer<Config> userConfig) {
    super(userConfig, new Config());
  }

  @Override
  public void onInitialize(JavalinState state) {
    Config config = pluginConfig;
    KtrdrTelemetry telemetry =
        Objects.requireNonNull(
            config.telemetry, "KtrdrJavalinPlugin: set plugin.telemetry in the plugin's config");
    List<String> excluded = new ArrayList<>(Objects.requireNonNull(config.excludedPaths));
    if (config.metricsPath != null) {
      excluded.add(config.metricsPath);
    }
    ServletTelemetryFilter filter = filter(telemetry, excluded, config.trustedCallers);
    state.jetty.modifyServletContextHandler(
        context ->
            context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST)));
    state.routes.beforeMatched(RouteCapture.INSTANCE);
    if (config.metricsPath != null) {
      Handler handler = metricsHandler(telemetry.metricsHandler());
      state.routes.get(config.metricsPath, handler);
      state.routes.head(config.metricsPath, handler);
    }
  }

  /** The servlet filter recording into {@code telemetry}, skipping {@code excluded} paths. */
  static ServletTelemetryFilter filter(KtrdrTelemetry telemetry, List<String> excluded) {
    return filter(telemetry, excluded, null);
  }

  /** Routes come from Javalin's match ({@link RouteCapture}) only: its servlet mapping is /*. */
  private static ServletTelemetryFilter filter(
      KtrdrTelemetry telemetry,
      List<String> excluded,
      @Nullable Predicate<HttpServletRequest> trustedCallers) {
    return ServletTelemetryFilter.builder(telemetry)
        .excludedPaths(excluded)
        .routeResolver(null)
        .trustedCallers(trustedCallers)
        .build();
  }

  @Override
  public String name() {
    return "ktrdr-telemetry";
  }

  /** A Javalin handler serving {@code handler}; mount it for {@code GET} and {@code HEAD}. */
  public static Handler metricsHandler(MetricsHandler handler) {
    Objects.requireNonNull(handler, "handler");
    return ctx -> handler.handle(new ContextExchange(ctx));
  }
}
