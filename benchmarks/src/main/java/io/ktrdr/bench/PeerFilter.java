package io.ktrdr.bench;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Handler;
import io.javalin.router.Endpoint;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.EnumSet;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.FilterHolder;

/**
 * The minimal code that puts a metrics library on a Javalin 7 app, for the load test's peers: a
 * servlet filter times each request (around Javalin's servlet, as javalin-micrometer's Jetty {@code
 * TimedHandler} does around the server) and hands method, route template, status and duration to a
 * {@link Recorder}; a {@code beforeMatched} handler tells it the matched route template ({@value
 * #UNKNOWN_ROUTE} when none matched, never the raw path). The scrape path is not timed, like the
 * ktrdr-telemetry plugin's.
 */
final class PeerFilter implements Filter {
  static final String METRICS_PATH = "/metrics";
  static final String UNKNOWN_ROUTE = "UNKNOWN";
  private static final String ROUTE_ATTRIBUTE = PeerFilter.class.getName() + ".route";
  private static final String[] STATUS_CODES = new String[600];

  static {
    for (int code = 100; code < STATUS_CODES.length; code++) {
      STATUS_CODES[code] = Integer.toString(code);
    }
  }

  /** Records one finished request. */
  interface Recorder {
    void record(String method, String route, int status, String statusCode, long nanos);
  }

  private final Recorder recorder;

  private PeerFilter(Recorder recorder) {
    this.recorder = recorder;
  }

  /**
   * A consumer of Javalin's config that installs the filter around {@code recorder}, serves {@code
   * scrape} on {@value #METRICS_PATH}, then applies {@code routes}.
   */
  static Consumer<JavalinConfig> install(
      Recorder recorder, Handler scrape, Consumer<JavalinConfig> routes) {
    return config -> {
      config.jetty.modifyServletContextHandler(
          context ->
              context.addFilter(
                  new FilterHolder(new PeerFilter(recorder)),
                  "/*",
                  EnumSet.of(DispatcherType.REQUEST)));
      config.routes.beforeMatched(
          ctx -> {
            Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
            if (endpoint != null) {
              ctx.req().setAttribute(ROUTE_ATTRIBUTE, endpoint.path);
            }
          });
      config.routes.get(METRICS_PATH, scrape);
      routes.accept(config);
    };
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest http = (HttpServletRequest) request;
    if (METRICS_PATH.equals(http.getRequestURI())) {
      chain.doFilter(request, response);
      return;
    }
    long start = System.nanoTime();
    int status = 500;
    try {
      chain.doFilter(request, response);
      status = ((HttpServletResponse) response).getStatus();
    } finally {
      Object route = http.getAttribute(ROUTE_ATTRIBUTE);
      recorder.record(
          http.getMethod(),
          route instanceof String template ? template : UNKNOWN_ROUTE,
          status,
          status >= 100 && status < STATUS_CODES.length
              ? STATUS_CODES[status]
              : Integer.toString(status),
          System.nanoTime() - start);
    }
  }
}
