package io.ktrdr.telemetry.http;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletMapping;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.MappingMatch;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A Jakarta servlet filter (Servlet 6: Jetty 12, Tomcat 10.1+) recording HTTP server metrics and
 * server spans for every request it wraps, the same as {@link
 * io.ktrdr.telemetry.javalin.KtrdrJavalinPlugin} (which installs this filter).
 *
 * <pre>{@code
 * KtrdrTelemetry telemetry = KtrdrTelemetry.setupMetrics("my-service");
 * ServletContextHandler context = new ServletContextHandler();
 * context.addFilter(
 *     new FilterHolder(ServletTelemetryFilter.builder(telemetry).build()),
 *     "/*", EnumSet.of(DispatcherType.REQUEST));
 * }</pre>
 *
 * <p>Emits {@code http_server_request_duration_seconds} (histogram; labels {@code
 * http_request_method}, {@code http_route}, {@code http_response_status_code}, {@code url_scheme}
 * and, for 5xx, {@code error_type}) and {@code http_server_active_requests}. The route is the one a
 * framework names with {@link #routeMatched}, else the {@linkplain Builder#routeResolver route
 * resolver}'s, by default the servlet mapping pattern ({@code /api/*}); never the raw path. With
 * tracing on, each request gets a server span named {@code METHOD route}, child of the caller's W3C
 * {@code traceparent} under the inbound policy ({@code KTRDR_TRACES_INBOUND}), current while the
 * chain runs. An exception escaping the chain is recorded as status 500 with {@code error_type} its
 * class, and fails the span. For async requests the request is finished when the async context
 * completes.
 *
 * <p>The telemetry never fails a request: a failure of its own is counted in {@code
 * ktrdr_telemetry_errors_total{component="http-server-metrics"}} and the request goes on.
 */
public final class ServletTelemetryFilter implements Filter {
  private static final int MAX_CACHED_ROUTES = 1000;

  private final ServerRequests<HttpServletRequest, HttpServletResponse> requests;

  private ServletTelemetryFilter(Builder builder) {
    this.requests =
        new ServerRequests<>(
            builder.telemetry,
            ServletAttributesGetter.INSTANCE,
            builder.excludedPaths,
            builder.routeResolver,
            builder.trustedCallers);
  }

  /** Options for a filter recording into {@code telemetry}. */
  public static Builder builder(KtrdrTelemetry telemetry) {
    return new Builder(telemetry);
  }

  /**
   * Tells the filter wrapping {@code request} (if any) that it matched the route template {@code
   * route}, e.g. {@code /orders/{id}}; the first route named wins over the route resolver. For
   * frameworks that learn the route inside the chain (a router, a dispatcher servlet). Cheap and
   * never throws; does nothing for a request no filter records.
   */
  public static void routeMatched(HttpServletRequest request, String route) {
    Object attribute = request.getAttribute(RequestState.ATTRIBUTE);
    if (attribute instanceof RequestState && route != null) {
      ServerRequests.routeMatched((RequestState) attribute, route);
    }
  }

  /** The length of the request's context path when {@code uri} starts with it, else 0. */
  private static int contextLength(HttpServletRequest request, @Nullable String uri) {
    String context = request.getContextPath();
    if (context == null || context.isEmpty() || uri == null) {
      return 0;
    }
    return uri.startsWith(context) ? context.length() : 0;
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (!(request instanceof HttpServletRequest) || !(response instanceof HttpServletResponse)) {
      chain.doFilter(request, response);
      return;
    }
    HttpServletRequest httpRequest = (HttpServletRequest) request;
    HttpServletResponse httpResponse = (HttpServletResponse) response;
    String uri = httpRequest.getRequestURI();
    int contextLength = contextLength(httpRequest, uri);
    // Excluded paths match with or without the context path: /metrics excludes /svc/metrics.
    if (requests.excluded(uri, 0) || (contextLength > 0 && requests.excluded(uri, contextLength))) {
      chain.doFilter(request, response);
      return;
    }
    RequestState state = requests.begin(httpRequest.getMethod(), httpRequest.isSecure());
    httpRequest.setAttribute(RequestState.ATTRIBUTE, state);
    Context context = requests.enter(state, httpRequest);
    Throwable escaped = null;
    try (Scope ignored = context.makeCurrent()) {
      try {
        chain.doFilter(request, response);
      } catch (IOException | ServletException | RuntimeException | Error e) {
        escaped = e;
        throw e;
      } finally {
        if (escaped == null && httpRequest.isAsyncStarted()) {
          httpRequest
              .getAsyncContext()
              .addListener(new FinishOnComplete(state, context, httpRequest, httpResponse));
        } else {
          requests.finish(
              state, context, httpRequest, httpResponse, httpResponse.getStatus(), escaped);
        }
      }
    }
  }

  private final class FinishOnComplete implements AsyncListener {
    private final RequestState state;
    private final Context context;
    private final HttpServletRequest request;
    private final HttpServletResponse response;

    FinishOnComplete(
        RequestState state,
        Context context,
        HttpServletRequest request,
        HttpServletResponse response) {
      this.state = state;
      this.context = context;
      this.request = request;
      this.response = response;
    }

    @Override
    public void onComplete(AsyncEvent event) {
      try (Scope ignored = context.makeCurrent()) {
        requests.finish(state, context, request, response, response.getStatus(), null);
      }
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      // The application (or Javalin) answers the timeout and completes the context: onComplete.
    }

    @Override
    public void onError(AsyncEvent event) {
      state.error = event.getThrowable();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      event.getAsyncContext().addListener(this);
    }
  }

  /** Options of a {@link ServletTelemetryFilter}. */
  public static final class Builder {
    private final KtrdrTelemetry telemetry;
    private List<String> excludedPaths = List.of("/metrics");
    private @Nullable Function<HttpServletRequest, @Nullable String> routeResolver =
        new MappingRoutes();
    private @Nullable Predicate<HttpServletRequest> trustedCallers;

    private Builder(KtrdrTelemetry telemetry) {
      this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    /**
     * Request paths not recorded nor traced, compared with the request URI as sent (context path
     * included): exact paths, or prefixes ending in {@code *}, e.g. {@code List.of("/metrics",
     * "/health", "/static/*")}. Replaces the default, {@code /metrics}. A pattern without a leading
     * {@code /} fails {@link #build}.
     */
    public Builder excludedPaths(List<String> excludedPaths) {
      this.excludedPaths = List.copyOf(excludedPaths);
      return this;
    }

    /**
     * The route of a request that no framework named with {@link #routeMatched}, asked when the
     * request completes; {@code null} (or an exception) leaves the request without a route. It must
     * return a bounded set of values, a route template such as {@code /orders/{id}}, never the raw
     * path. Default: the servlet mapping pattern, context path included ({@code /api/*}, {@code
     * /health}, {@code *.jsp}); no route for the default servlet ({@code /}), which serves what no
     * other servlet maps. {@code null} names routes only through {@link #routeMatched}.
     */
    public Builder routeResolver(
        @Nullable Function<HttpServletRequest, @Nullable String> routeResolver) {
      this.routeResolver = routeResolver;
      return this;
    }

    /**
     * Requests whose caller is trusted whatever the telemetry's inbound policy ({@code
     * KTRDR_TRACES_INBOUND}): their trace context is taken as with {@code trust}. Asked before the
     * chain runs, so it must be cheap and decide on what the request carries; an exception counts
     * as not trusted. Default {@code null}: no caller is trusted at the edge.
     */
    public Builder trustedCallers(@Nullable Predicate<HttpServletRequest> trustedCallers) {
      this.trustedCallers = trustedCallers;
      return this;
    }

    /** The filter. */
    public ServletTelemetryFilter build() {
      return new ServletTelemetryFilter(this);
    }
  }

  /** The default route: the servlet mapping pattern under the context path, built once each. */
  private static final class MappingRoutes
      implements Function<HttpServletRequest, @Nullable String> {
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, String>> byContext =
        new ConcurrentHashMap<>();

    @Override
    public @Nullable String apply(HttpServletRequest request) {
      HttpServletMapping mapping = request.getHttpServletMapping();
      if (mapping == null) {
        return null;
      }
      MappingMatch match = mapping.getMappingMatch();
      String pattern = mapping.getPattern();
      if (match == null || match == MappingMatch.DEFAULT || pattern == null) {
        return null;
      }
      if (match == MappingMatch.CONTEXT_ROOT) {
        pattern = "/";
      }
      String contextPath = request.getContextPath();
      if (contextPath == null || contextPath.isEmpty()) {
        return pattern;
      }
      ConcurrentHashMap<String, String> routes = byContext.get(contextPath);
      if (routes == null) {
        if (byContext.size() >= MAX_CACHED_ROUTES) {
          return contextPath + pattern;
        }
        routes = byContext.computeIfAbsent(contextPath, c -> new ConcurrentHashMap<>());
      }
      String route = routes.get(pattern);
      if (route == null) {
        route = match == MappingMatch.CONTEXT_ROOT ? contextPath : contextPath + pattern;
        if (routes.size() < MAX_CACHED_ROUTES) {
          routes.putIfAbsent(pattern, route);
        }
      }
      return route;
    }
  }
}
