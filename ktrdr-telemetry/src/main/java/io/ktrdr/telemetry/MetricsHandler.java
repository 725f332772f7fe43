package io.ktrdr.telemetry;

import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.ktrdr.telemetry.internal.scrape.BudgetedRequest;
import io.ktrdr.telemetry.internal.scrape.ReceivedExchange;
import io.ktrdr.telemetry.internal.scrape.ScrapeRejected;
import io.ktrdr.telemetry.internal.scrape.ScrapeRejections;
import io.ktrdr.telemetry.internal.scrape.SharedCollection;
import io.prometheus.metrics.exporter.common.PrometheusHttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import io.prometheus.metrics.exporter.common.PrometheusHttpResponse;
import io.prometheus.metrics.exporter.common.PrometheusScrapeHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import org.jspecify.annotations.Nullable;

/**
 * Serves a scrape of the telemetry's registry over any HTTP server. It delegates to client_java's
 * {@link PrometheusScrapeHandler}, so the Prometheus text format, OpenMetrics (with exemplars) and
 * the protobuf format are chosen from the {@code Accept} header, {@code Accept-Encoding: gzip} is
 * honoured and {@code ?name[]=...} filters the families. On top of it, this handler adds
 * authentication ({@link MetricsAuth}), answers {@code HEAD} with headers only, and turns a failing
 * scrape into a {@code 500} instead of a broken connection.
 *
 * <p>Scrapes are bounded so that a slow asynchronous callback or a flood of scrapes delays only
 * scrapes, never the application's own requests: one collection runs at a time and every scrape
 * that arrives meanwhile shares its result (each still encodes its own format and filter); a scrape
 * waits for it at most its budget ({@link KtrdrTelemetryBuilder#metricsScrapeTimeout}, lowered by
 * the {@code X-Prometheus-Scrape-Timeout-Seconds} that Prometheus sends) and then gets {@code 503}
 * with {@code Retry-After}; beyond {@link KtrdrTelemetryBuilder#metricsMaxConcurrentScrapes}
 * scrapes in progress, a new one gets {@code 503} at once. The response is encoded into memory
 * before it is written, so a client that reads slowly does not hold a scrape slot. Refusals are
 * counted in {@code ktrdr_telemetry_scrapes_rejected_total{reason}}.
 *
 * <p>A server needs only a small adapter from its request type to {@link PrometheusHttpExchange}:
 * client_java's {@code HttpExchangeAdapter} for the JDK server, {@code KtrdrJavalinPlugin} for
 * Javalin. Obtain it from {@link KtrdrTelemetry#metricsHandler()}.
 *
 * <pre>{@code
 * MetricsHandler handler = telemetry.metricsHandler();
 * jdkServer.createContext("/metrics", exchange -> handler.handle(new HttpExchangeAdapter(exchange)));
 * }</pre>
 */
public final class MetricsHandler {
  /** The header in which Prometheus sends its scrape timeout, in seconds. */
  static final String SCRAPE_TIMEOUT_HEADER = "X-Prometheus-Scrape-Timeout-Seconds";

  /** The share of Prometheus' own timeout a scrape may wait, so that its 503 arrives in time. */
  static final double SCRAPER_TIMEOUT_SHARE = 0.9;

  private static final byte[] UNAUTHORIZED = "Unauthorized\n".getBytes(StandardCharsets.UTF_8);
  private static final byte[] METHOD_NOT_ALLOWED =
      "Method Not Allowed\n".getBytes(StandardCharsets.UTF_8);
  private static final byte[] SCRAPE_FAILED =
      "Collecting metrics failed; see the application log\n".getBytes(StandardCharsets.UTF_8);
  private static final byte[] BUSY =
      "Too many scrapes in progress; retry later\n".getBytes(StandardCharsets.UTF_8);
  private static final byte[] TIMED_OUT =
      "Collecting metrics took longer than this scrape's budget; retry later\n"
          .getBytes(StandardCharsets.UTF_8);

  private final PrometheusScrapeHandler scrapeHandler;
  private final SharedCollection collection;
  private final MetricsAuth auth;
  private final TelemetryErrors errors;
  private final ScrapeRejections rejections;
  private final long budgetNanos;
  private final String timeoutRetryAfter;
  private final Semaphore scrapes;

  private MetricsHandler(
      SharedCollection collection,
      MetricsAuth auth,
      TelemetryErrors errors,
      ScrapeRejections rejections,
      Duration budget,
      int maxConcurrentScrapes) {
    PrometheusRegistry served = new PrometheusRegistry();
    served.register(collection);
    this.scrapeHandler = new PrometheusScrapeHandler(served);
    this.collection = collection;
    this.auth = auth;
    this.errors = errors;
    this.rejections = rejections;
    this.budgetNanos = budget.toNanos();
    this.timeoutRetryAfter = String.valueOf(Math.max(1, (budget.toMillis() + 999) / 1000));
    this.scrapes = new Semaphore(maxConcurrentScrapes);
  }

  /**
   * A handler for {@code registry}, protected by {@code auth}; failures go to {@code errors},
   * refusals to {@code rejections}. A scrape waits at most {@code budget} for the collection, and
   * at most {@code maxConcurrentScrapes} are in progress at once.
   */
  static MetricsHandler create(
      PrometheusRegistry registry,
      MetricsAuth auth,
      TelemetryErrors errors,
      ScrapeRejections rejections,
      Duration budget,
      int maxConcurrentScrapes) {
    return new MetricsHandler(
        new SharedCollection(registry, budget),
        auth,
        errors,
        rejections,
        budget,
        maxConcurrentScrapes);
  }

  /** The protection in force. */
  public MetricsAuth auth() {
    return auth;
  }

  ScrapeRejections rejections() {
    return rejections;
  }

  TelemetryErrors errors() {
    return errors;
  }

  /** The longest a scrape waits for the collection (without a shorter Prometheus timeout). */
  Duration budget() {
    return Duration.ofNanos(budgetNanos);
  }

  /** Stops the collecting thread (the telemetry is closing). */
  void close() {
    collection.close();
  }

  /**
   * Answers one scrape request. Always responds (200, 400 for a bad query string, 401, 405, 500, or
   * 503 when the scrape is refused) and always closes the exchange. Waits for the collection at
   * most the scrape's budget.
   */
  public void handle(PrometheusHttpExchange exchange) throws IOException {
    long received =
        exchange instanceof ReceivedExchange timed ? timed.receivedNanos() : System.nanoTime();
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
    if (!scrapes.tryAcquire()) {
      reject(exchange, ScrapeRejections.Reason.BUSY);
      return;
    }
    BufferedExchange buffered =
        new BufferedExchange(new BudgetedRequest(request, received + budgetNanos(request)));
    try {
      scrapeHandler.handleRequest(buffered);
    } finally {
      // Released before the response is written: a client that reads slowly holds no slot.
      scrapes.release();
    }
    ScrapeRejections.@Nullable Reason rejected = buffered.rejected;
    if (rejected != null) {
      reject(exchange, rejected);
    } else if (buffered.failed) {
      respond(exchange, 500, null, null, SCRAPE_FAILED);
    } else {
      buffered.sendTo(exchange, head);
    }
  }

  /** The configured budget, or less when the scraper says it gives up sooner. */
  private long budgetNanos(PrometheusHttpRequest request) {
    String header = request.getHeader(SCRAPE_TIMEOUT_HEADER);
    if (header == null) {
      return budgetNanos;
    }
    try {
      double seconds = Double.parseDouble(header.trim());
      if (seconds > 0 && seconds < Long.MAX_VALUE / 1e9) {
        return Math.min(budgetNanos, (long) (seconds * SCRAPER_TIMEOUT_SHARE * 1e9));
      }
    } catch (NumberFormatException ignored) {
      // Not a number: the configured budget applies.
    }
    return budgetNanos;
  }

  private void reject(PrometheusHttpExchange exchange, ScrapeRejections.Reason reason)
      throws IOException {
    boolean busy = reason == ScrapeRejections.Reason.BUSY;
    rejections.record(reason, busy ? () -> null : collection::describeInFlight);
    respond(exchange, 503, "Retry-After", busy ? "1" : timeoutRetryAfter, busy ? BUSY : TIMED_OUT);
  }

  private static void respond(
      PrometheusHttpExchange exchange,
      int status,
      @Nullable String header,
      @Nullable String value,
      byte[] body)
      throws IOException {
    try {
      PrometheusHttpResponse response = exchange.getResponse();
      response.setHeader("Content-Type", "text/plain; charset=utf-8");
      if (header != null && value != null) {
        response.setHeader(header, value);
      }
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
   * What client_java's handler answers, kept in memory until the scrape slot is released; a scrape
   * that threw or was refused is answered from here (nothing was sent yet, so always with a
   * status).
   */
  private final class BufferedExchange implements PrometheusHttpExchange, PrometheusHttpResponse {
    private final BudgetedRequest request;
    private final List<String> headers = new ArrayList<>(8);
    private int status;
    private int contentLength;
    private @Nullable ByteArrayOutputStream body;
    ScrapeRejections.@Nullable Reason rejected;
    boolean failed;

    BufferedExchange(BudgetedRequest request) {
      this.request = request;
    }

    @Override
    public PrometheusHttpRequest getRequest() {
      return request;
    }

    @Override
    public PrometheusHttpResponse getResponse() {
      return this;
    }

    @Override
    public void setHeader(String name, String value) {
      headers.add(name);
      headers.add(value);
    }

    @Override
    public OutputStream sendHeadersAndGetBody(int statusCode, int length) {
      status = statusCode;
      contentLength = length;
      ByteArrayOutputStream buffer = new ByteArrayOutputStream(Math.max(length, 256));
      body = buffer;
      return buffer;
    }

    /** Writes the buffered answer to the server's exchange, and closes it. */
    void sendTo(PrometheusHttpExchange exchange, boolean head) throws IOException {
      try {
        PrometheusHttpResponse response = exchange.getResponse();
        for (int i = 0; i < headers.size(); i += 2) {
          response.setHeader(headers.get(i), headers.get(i + 1));
        }
        ByteArrayOutputStream buffer = body;
        if (head || buffer == null) {
          response.sendHeadersAndGetBody(status == 0 ? 200 : status, -1);
        } else {
          // The length is known now, also for a compressed body (streamed as chunks before).
          int length = contentLength > 0 ? contentLength : buffer.size();
          try (OutputStream out = response.sendHeadersAndGetBody(status, length)) {
            buffer.writeTo(out);
          }
        }
      } finally {
        exchange.close();
      }
    }

    @Override
    public void handleException(IOException e) throws IOException {
      // Only the buffer is written to; nothing of the client's connection can fail here.
      throw e;
    }

    @Override
    public void handleException(RuntimeException e) {
      if (e instanceof ScrapeRejected refused) {
        rejected = refused.reason();
        return;
      }
      errors.record(TelemetryErrors.METRICS_SCRAPE, e);
      failed = true;
    }

    @Override
    public void close() {
      // Answered by sendTo once the scrape slot is released.
    }
  }
}
