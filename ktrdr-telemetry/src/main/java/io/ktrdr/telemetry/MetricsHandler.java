package io.ktrdr.telemetry;

import io.ktrdr.telemetry.internal.TelemetryErrors;
import io.prometheus.metrics.exporter.common.PrometheusHttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import io.prometheus.metrics.exporter.common.PrometheusHttpResponse;
import io.prometheus.metrics.exporter.common.PrometheusScrapeHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Serves a scrape of the telemetry's registry over any HTTP server. It delegates to client_java's
 * {@link PrometheusScrapeHandler}, so the Prometheus text format, OpenMetrics (with exemplars) and
 * the protobuf format are chosen from the {@code Accept} header, {@code Accept-Encoding: gzip} is
 * honoured and {@code ?name[]=...} filters the families. On top of it, this handler adds
 * authentication ({@link MetricsAuth}), answers {@code HEAD} with headers only, and turns a failing
 * scrape into a {@code 500} instead of a broken connection.
 *
 * <p>A server needs only a small adapter from its request type to {@link PrometheusHttpExchange}:
 * client_java's {@code HttpExchangeAdapter} for the JDK server (see {@link MetricsServer}), {@code
 * KtrdrJavalinPlugin} for Javalin. Obtain it from {@link KtrdrTelemetry#metricsHandler()}.
 *
 * <pre>{@code
 * MetricsHandler handler = telemetry.metricsHandler();
 * jdkServer.createContext("/metrics", exchange -> handler.handle(new HttpExchangeAdapter(exchange)));
 * }</pre>
 */
public final class MetricsHandler {
  private static final byte[] UNAUTHORIZED = "Unauthorized\n".getBytes(StandardCharsets.UTF_8);
  private static final byte[] METHOD_NOT_ALLOWED =
      "Method Not Allowed\n".getBytes(StandardCharsets.UTF_8);
  private static final byte[] SCRAPE_FAILED =
      "Collecting metrics failed; see the application log\n".getBytes(StandardCharsets.UTF_8);

  private final PrometheusScrapeHandler scrapeHandler;
  private final MetricsAuth auth;
  private final TelemetryErrors errors;

  MetricsHandler(PrometheusScrapeHandler scrapeHandler, MetricsAuth auth, TelemetryErrors errors) {
    this.scrapeHandler = scrapeHandler;
    this.auth = auth;
    this.errors = errors;
  }

  /** A handler for {@code registry}, protected by {@code auth}; failures go to {@code errors}. */
  static MetricsHandler create(
      PrometheusRegistry registry, MetricsAuth auth, TelemetryErrors errors) {
    return new MetricsHandler(new PrometheusScrapeHandler(registry), auth, errors);
  }

  /** The protection in force. */
  public MetricsAuth auth() {
    return auth;
  }

  /**
   * Answers one scrape request. Always responds (200, 400 for a bad query string, 401, 405 or 500)
   * and always closes the exchange.
   */
  public void handle(PrometheusHttpExchange exchange) throws IOException {
    PrometheusHttpRequest request = exchange.getRequest();
    String method = request.getMethod();
    boolean head = "HEAD".equals(method);
    if (!head && !"GET".equals(method)) {
      respond(exchange, 405, "Allow", "GET, HEAD", METHOD_NOT_ALLOWED);
      return;
    }
    if (!auth.isAuthorized(request.getHeader("Authorization"))) {
      respond(exchange, 401, "WWW-Authenticate", auth.challenge(), UNAUTHORIZED);
      return;
    }
    scrapeHandler.handleRequest(new GuardedExchange(exchange, head, errors));
  }

  private static void respond(
      PrometheusHttpExchange exchange, int status, String header, String value, byte[] body)
      throws IOException {
    try {
      PrometheusHttpResponse response = exchange.getResponse();
      response.setHeader("Content-Type", "text/plain; charset=utf-8");
      response.setHeader(header, value);
      boolean head = "HEAD".equals(exchange.getRequest().getMethod());
      if (head) {
        response.sendHeadersAndGetBody(status, -1);
      } else {
        try (OutputStream out = response.sendHeadersAndGetBody(status, body.length)) {
          out.write(body);
        }
      }
    } finally {
      exchange.close();
    }
  }

  /**
   * Wraps the server's exchange: drops the body of HEAD responses, and answers a scrape that threw
   * with a 500 when headers were not sent yet.
   */
  private static final class GuardedExchange implements PrometheusHttpExchange {
    private final PrometheusHttpExchange delegate;
    private final boolean head;
    private final TelemetryErrors errors;
    private boolean headersSent;

    GuardedExchange(PrometheusHttpExchange delegate, boolean head, TelemetryErrors errors) {
      this.delegate = delegate;
      this.head = head;
      this.errors = errors;
    }

    @Override
    public PrometheusHttpRequest getRequest() {
      return delegate.getRequest();
    }

    @Override
    public PrometheusHttpResponse getResponse() {
      PrometheusHttpResponse response = delegate.getResponse();
      return new PrometheusHttpResponse() {
        @Override
        public void setHeader(String name, String value) {
          response.setHeader(name, value);
        }

        @Override
        public OutputStream sendHeadersAndGetBody(int statusCode, int contentLength)
            throws IOException {
          headersSent = true;
          if (head) {
            response.sendHeadersAndGetBody(statusCode, -1);
            return OutputStream.nullOutputStream();
          }
          return response.sendHeadersAndGetBody(statusCode, contentLength);
        }
      };
    }

    @Override
    public void handleException(IOException e) throws IOException {
      // The client went away or the connection broke: nothing to answer, nothing to count.
      throw e;
    }

    @Override
    public void handleException(RuntimeException e) {
      errors.record(TelemetryErrors.METRICS_SCRAPE, e);
      if (headersSent) {
        return;
      }
      try {
        PrometheusHttpResponse response = delegate.getResponse();
        response.setHeader("Content-Type", "text/plain; charset=utf-8");
        try (OutputStream out = response.sendHeadersAndGetBody(500, SCRAPE_FAILED.length)) {
          out.write(SCRAPE_FAILED);
        }
      } catch (IOException | RuntimeException ignored) {
        // The 500 could not be written either; the failure is already logged and counted.
      }
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
