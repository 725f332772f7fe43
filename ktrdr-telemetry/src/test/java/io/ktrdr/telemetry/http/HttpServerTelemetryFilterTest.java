package io.ktrdr.telemetry.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.MetricsHandler;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.ktrdr.telemetry.testing.Scrape.Sample;
import io.opentelemetry.api.trace.Span;
import io.prometheus.metrics.exporter.httpserver.HttpExchangeAdapter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The JDK {@code HttpServer} filter on a real server: the route histogram through a real scrape,
 * server spans through a real OTLP receiver, an inbound {@code traceparent}, a handler that throws
 * and paths left alone.
 */
class HttpServerTelemetryFilterTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private final AtomicReference<String> traceInside = new AtomicReference<>();
  private OtlpReceiver receiver;
  private KtrdrTelemetry telemetry;
  private HttpServer server;
  private String base;

  @BeforeEach
  void start() throws IOException {
    receiver = OtlpReceiver.start();
    telemetry =
        KtrdrTelemetry.builder()
            .serviceName("jdk-filter-test")
            .otlpEndpoint(receiver.endpoint())
            .jvmMetrics(false)
            .shutdownHook(false)
            .environment(Map.of("OTEL_BSP_SCHEDULE_DELAY", "50"))
            .build();
    HttpServerTelemetryFilter filter =
        HttpServerTelemetryFilter.builder(telemetry)
            .excludedPaths(List.of("/metrics", "/health"))
            .build();
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    MetricsHandler metrics = telemetry.metricsHandler();
    // The filter is on every context, /metrics and /health included: exclusion is its own job.
    add("/metrics", exchange -> metrics.handle(new HttpExchangeAdapter(exchange)), filter);
    add("/health", exchange -> respond(exchange, 200), filter);
    add(
        "/orders",
        exchange -> {
          traceInside.set(Span.current().getSpanContext().getTraceId());
          respond(exchange, 201);
        },
        filter);
    add(
        "/boom",
        exchange -> {
          throw new IllegalStateException("handler failed");
        },
        filter);
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void add(String path, HttpHandler handler, HttpServerTelemetryFilter filter) {
    server.createContext(path, handler).getFilters().add(filter);
  }

  @AfterEach
  void stop() {
    server.stop(0);
    telemetry.close();
    receiver.close();
  }

  private static void respond(HttpExchange exchange, int status) throws IOException {
    byte[] body = "ok\n".getBytes(StandardCharsets.UTF_8);
    try (exchange) {
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private List<Sample> durationCounts() throws Exception {
    HttpResponse<String> scrape = get("/metrics");
    assertThat(scrape.statusCode()).isEqualTo(200);
    return ServerFilterChecks.durationCounts(scrape.body());
  }

  @Test
  void aRequestIsCountedByRouteAndContinuesTheCallersTrace() throws Exception {
    HttpResponse<String> response =
        get("/orders/42?x=1", "traceparent", ServerFilterChecks.TRACEPARENT);

    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(traceInside.get()).isEqualTo(ServerFilterChecks.TRACE_ID);
    ServerFilterChecks.countedOnce(durationCounts(), "/orders", 201);
    ReceivedSpan span = receiver.awaitSpan("GET /orders");
    ServerFilterChecks.childOfTheCaller(span, "/orders");
    assertThat(span.attributes())
        .containsEntry("http.route", "/orders")
        .containsEntry("http.request.method", "GET")
        .containsEntry("http.response.status_code", "201")
        .containsEntry("url.path", "/orders/42")
        .containsEntry("url.query", "x=1");
  }

  @Test
  void aHandlerThatThrowsIsA500WithItsExceptionAndAFailedSpan() throws Exception {
    // The JDK server closes the connection of a handler that throws: the client gets no answer.
    assertThatThrownBy(() -> get("/boom")).isInstanceOf(IOException.class);

    ServerFilterChecks.countedAsFailed(durationCounts(), "/boom");
    ReceivedSpan span = receiver.awaitSpan("GET /boom");
    ServerFilterChecks.failed(span);
  }

  @Test
  void excludedPathsAreNeitherCountedNorTraced() throws Exception {
    assertThat(get("/health").statusCode()).isEqualTo(200);
    assertThat(get("/metrics").statusCode()).isEqualTo(200);
    assertThat(get("/orders").statusCode()).isEqualTo(201);

    assertThat(durationCounts())
        .extracting(sample -> sample.label("http_route"))
        .containsExactly("/orders");
    receiver.awaitSpan("GET /orders");
    // The spans of the earlier requests would have ended, and been exported, first.
    assertThat(receiver.spans()).extracting(ReceivedSpan::name).containsExactly("GET /orders");
  }
}
