package io.ktrdr.examples.jetty;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.http.ServletTelemetryFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A servlet application on Jetty 12 without a framework: {@link ServletTelemetryFilter} records
 * {@code http_server_request_duration_seconds} by servlet mapping ({@code /orders/*}, {@code
 * /fail}) and a server span per request; {@code /health} is left alone. The standalone metrics
 * server serves {@code /metrics} on {@code KTRDR_METRICS_PORT} (default 9464). The application port
 * comes from {@code PORT} (default 8080; 0 picks a free one).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("servlet-jetty-example")
            .metricsServerPort(9464)
            .build();

    ServletContextHandler context = new ServletContextHandler("/");
    context.addFilter(
        new FilterHolder(
            ServletTelemetryFilter.builder(telemetry).excludedPaths(List.of("/health")).build()),
        "/*",
        EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(new ServletHolder(new Orders()), "/orders/*");
    context.addServlet(new ServletHolder(new Fail()), "/fail");
    context.addServlet(new ServletHolder(new Health()), "/health");

    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(Integer.parseInt(System.getenv().getOrDefault("PORT", "8080")));
    server.addConnector(connector);
    server.setHandler(context);
    server.start();
    System.out.println("listening on http://127.0.0.1:" + connector.getLocalPort());
    System.out.println(
        "metrics on http://127.0.0.1:" + telemetry.metricsServerPort().getAsInt() + "/metrics");
    server.join();
  }

  /** {@code GET /orders/{id}}: one order, as text. */
  private static final class Orders extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      response.setContentType("text/plain; charset=utf-8");
      response.getWriter().write("order " + request.getPathInfo().substring(1) + "\n");
    }
  }

  /** {@code GET /fail}: a bug, counted as a 500 with its exception class. */
  private static final class Fail extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) {
      throw new IllegalStateException("this servlet always fails");
    }
  }

  /** {@code GET /health}: excluded from the telemetry. */
  private static final class Health extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      response.getWriter().write("ok\n");
    }
  }
}
