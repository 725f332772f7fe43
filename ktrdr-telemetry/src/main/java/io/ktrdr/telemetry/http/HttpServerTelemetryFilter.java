package io.ktrdr.telemetry.http;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsExchange;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A filter for the JDK's {@code com.sun.net.httpserver.HttpServer} recording HTTP server metrics
 * and server spans for every exchange of the contexts it is added to, the same as {@link
 * io.ktrdr.telemetry.javalin.KtrdrJavalinPlugin} records on Javalin.
 *
 * <pre>{@code
 * KtrdrTelemetry telemetry = KtrdrTelemetry.setupMetrics("my-service");
 * HttpServerTelemetryFilter filter = HttpServerTelemetryFilter.builder(telemetry).build();
 * server.createContext("/orders", ordersHandler).getFilters().add(filter);
 * server.createContext("/health", healthHandler).getFilters().add(filter);
 * }</pre>
 *
 * <p>Emits {@code http_server_request_duration_seconds} (histogram; labels {@code
 * http_request_method}, {@code http_route}, {@code http_response_status_code}, {@code url_scheme}
 * and, for 5xx, {@code error_type}) and {@code http_server_active_requests}. The route is the
 * {@linkplain Builder#routeResolver route resolver}'s, by default the path of the exchange's {@code
 * HttpContext} ({@code /orders}); never the raw path. With tracing on, each exchange gets a server
 * span named {@code METHOD route}, child of the caller's W3C {@code traceparent} under the inbound
 * policy ({@code KTRDR_TRACES_INBOUND}), current while the handler runs. An exception escaping the
 * handler (the JDK server then closes the connection without an answer) is recorded as status 500
 * with {@code error_type} its class, and fails the span; so is a handler that returns without
 * sending a response.
 *
 * <p>The telemetry never fails an exchange: a failure of its own is counted in {@code
 * ktrdr_telemetry_errors_total{component="http-server-metrics"}} and the exchange goes on.
 */
public final class HttpServerTelemetryFilter extends Filter {
  private final ServerRequests<HttpExchange, HttpExchange> requests;

  private HttpServerTelemetryFilter(Builder builder) {
    this.requests =
        new ServerRequests<>(
            builder.telemetry,
            ExchangeAttributesGetter.INSTANCE,
            builder.excludedPaths,
            builder.routeResolver,
            builder.trustedCallers);
  }

  /** Options for a filter recording into {@code telemetry}. */
  public static Builder builder(KtrdrTelemetry telemetry) {
    return new Builder(telemetry);
  }

  @Override
  public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
    if (requests.excluded(exchange.getRequestURI().getRawPath(), 0)) {
      chain.doFilter(exchange);
      return;
    }
    RequestState state =
        requests.begin(exchange.getRequestMethod(), exchange instanceof HttpsExchange);
    Context context = requests.enter(state, exchange);
    Throwable escaped = null;
    try (Scope ignored = context.makeCurrent()) {
      try {
        chain.doFilter(exchange);
      } catch (IOException | RuntimeException | Error e) {
        escaped = e;
        throw e;
      } finally {
        int status = exchange.getResponseCode();
        requests.finish(state, context, exchange, exchange, status > 0 ? status : 500, escaped);
      }
    }
  }

  @Override
  public String description() {
    return "ktrdr-telemetry: HTTP server metrics and spans";
  }

  /** Options of a {@link HttpServerTelemetryFilter}. */
  public static final class Builder {
    private final KtrdrTelemetry telemetry;
    private List<String> excludedPaths = List.of("/metrics");
    private @Nullable Function<HttpExchange, @Nullable String> routeResolver =
        exchange -> exchange.getHttpContext().getPath();
    private @Nullable Predicate<HttpExchange> trustedCallers;

    private Builder(KtrdrTelemetry telemetry) {
      this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    /**
     * Request paths not recorded nor traced (the raw path of the request URI): exact paths, or
     * prefixes ending in {@code *}, e.g. {@code List.of("/metrics", "/health", "/static/*")}.
     * Replaces the default, {@code /metrics}. A pattern without a leading {@code /} fails {@link
     * #build}.
     */
    public Builder excludedPaths(List<String> excludedPaths) {
      this.excludedPaths = List.copyOf(excludedPaths);
      return this;
    }

    /**
     * The route of an exchange, asked when it completes; {@code null} (or an exception) leaves the
     * exchange without a route. It must return a bounded set of values, a route template such as
     * {@code /orders/{id}}, never the raw path. Default: the path the exchange's {@code
     * HttpContext} was created with ({@code /orders}), so one context per route gives one series
     * per route.
     */
    public Builder routeResolver(@Nullable Function<HttpExchange, @Nullable String> routeResolver) {
      this.routeResolver = routeResolver;
      return this;
    }

    /**
     * Exchanges whose caller is trusted whatever the telemetry's inbound policy ({@code
     * KTRDR_TRACES_INBOUND}): their trace context is taken as with {@code trust}. Asked before the
     * handler runs, so it must be cheap and decide on what the exchange carries; an exception
     * counts as not trusted. Default {@code null}: no caller is trusted at the edge.
     */
    public Builder trustedCallers(@Nullable Predicate<HttpExchange> trustedCallers) {
      this.trustedCallers = trustedCallers;
      return this;
    }

    /** The filter; add it to each {@code HttpContext} with {@code context.getFilters().add}. */
    public HttpServerTelemetryFilter build() {
      return new HttpServerTelemetryFilter(this);
    }
  }
}
