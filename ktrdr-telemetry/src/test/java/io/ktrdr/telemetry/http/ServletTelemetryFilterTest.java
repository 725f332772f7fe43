package io.ktrdr.telemetry.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.ktrdr.telemetry.testing.Scrape.Sample;
import io.opentelemetry.api.trace.Span;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The servlet filter alone in Jetty's servlet container (no Javalin): routes from the servlet
 * mapping under the context path or from the application, the histogram through a real scrape,
 * server spans through a real OTLP receiver, an inbound {@code traceparent}, a servlet that throws
 * and paths left alone.
 */
class ServletTelemetryFilterTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private final AtomicReference<String> traceInside = new AtomicReference<>();
  private OtlpReceiver receiver;
  private KtrdrTelemetry telemetry;
  private Server server;
  private String base;

  @BeforeEach
  void startReceiver() {
    receiver = OtlpReceiver.start();
    telemetry =
        KtrdrTelemetry.builder()
            .serviceName("servlet-filter-test")
            .otlpEndpoint(receiver.endpoint())
            .metricsServerPort(0)
            .jvmMetrics(false)
            .shutdownHook(false)
            .environment(Map.of("OTEL_BSP_SCHEDULE_DELAY", "50"))
            .build();
  }

  private void start(ServletTelemetryFilter filter) throws Exception {
    server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/shop");
    context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(
        new ServletHolder(
            new HttpServlet() {
              @Override
              protected void doGet(HttpServletRequest request, HttpServletResponse response)
                  throws IOException {
                traceInside.set(Span.current().getSpanContext().getTraceId());
                if (request.getPathInfo() != null && request.getPathInfo().startsWith("/named")) {
                  ServletTelemetryFilter.routeMatched(request, "/shop/orders/named/{id}");
                }
                response.setStatus(201);
                response.getWriter().write("ok\n");
              }
            }),
        "/orders/*");
    context.addServlet(
        new ServletHolder(
            new HttpServlet() {
              @Override
              protected void doGet(HttpServletRequest request, HttpServletResponse response) {
                throw new IllegalStateException("servlet failed");
              }
            }),
        "/boom");
    context.addServlet(
        new ServletHolder(
            new HttpServlet() {
              @Override
              protected void doGet(HttpServletRequest request, HttpServletResponse response) {
                response.setStatus(200);
              }
            }),
        "/health");
    server.setHandler(context);
    server.start();
    base = "http://127.0.0.1:" + connector.getLocalPort();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.stop();
    }
    telemetry.close();
    receiver.close();
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private List<Sample> durationCounts() throws Exception {
    HttpResponse<String> scrape =
        client.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + telemetry.metricsServerPort().getAsInt()
                            + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(scrape.statusCode()).isEqualTo(200);
    return ServerFilterChecks.durationCounts(scrape.body());
  }

  @Test
  void theRouteIsTheServletMappingUnderTheContextPathAndTheCallersTraceContinues()
      throws Exception {
    start(ServletTelemetryFilter.builder(telemetry).build());

    HttpResponse<String> response =
        get("/shop/orders/42", "traceparent", ServerFilterChecks.TRACEPARENT);

    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(traceInside.get()).isEqualTo(ServerFilterChecks.TRACE_ID);
    ServerFilterChecks.countedOnce(durationCounts(), "/shop/orders/*", 201);
    ReceivedSpan span = receiver.awaitSpan("GET /shop/orders/*");
    ServerFilterChecks.childOfTheCaller(span, "/shop/orders/*");
    assertThat(span.attributes())
        .containsEntry("http.route", "/shop/orders/*")
        .containsEntry("url.path", "/shop/orders/42")
        .containsEntry("http.response.status_code", "201");
  }

  @Test
  void aRouteTheApplicationNamesWinsAndAResolverReplacesTheMapping() throws Exception {
    Function<HttpServletRequest, String> resolver = request -> "/resolved";
    start(ServletTelemetryFilter.builder(telemetry).routeResolver(resolver).build());

    assertThat(get("/shop/orders/named/7").statusCode()).isEqualTo(201);
    assertThat(get("/shop/orders/9").statusCode()).isEqualTo(201);
    // An unmapped path has no route with the default resolver; a resolver may still name one.
    assertThat(get("/shop/nowhere").statusCode()).isEqualTo(404);

    assertThat(durationCounts())
        .extracting(s -> s.label("http_route") + " " + s.label("http_response_status_code"))
        .containsExactlyInAnyOrder("/shop/orders/named/{id} 201", "/resolved 201", "/resolved 404");
  }

  @Test
  void anUnmappedPathHasNoRouteNotItsRawPath() throws Exception {
    start(ServletTelemetryFilter.builder(telemetry).build());

    assertThat(get("/shop/no/such/page").statusCode()).isEqualTo(404);

    assertThat(durationCounts())
        .singleElement()
        .satisfies(
            sample ->
                assertThat(sample.labels())
                    .doesNotContainKey("http_route")
                    .containsEntry("http_response_status_code", "404"));
  }

  @Test
  void aServletThatThrowsIsA500WithItsExceptionAndAFailedSpan() throws Exception {
    start(ServletTelemetryFilter.builder(telemetry).build());

    assertThat(get("/shop/boom").statusCode()).isEqualTo(500);

    ServerFilterChecks.countedAsFailed(durationCounts(), "/shop/boom");
    ReceivedSpan span = receiver.awaitSpan("GET /shop/boom");
    ServerFilterChecks.failed(span);
  }

  @Test
  void excludedPathsAreNeitherCountedNorTraced() throws Exception {
    start(
        ServletTelemetryFilter.builder(telemetry)
            .excludedPaths(List.of("/shop/health", "/shop/static/*"))
            .build());

    assertThat(get("/shop/health").statusCode()).isEqualTo(200);
    assertThat(get("/shop/static/app.js").statusCode()).isEqualTo(404);
    assertThat(get("/shop/orders/1").statusCode()).isEqualTo(201);

    assertThat(durationCounts())
        .extracting(sample -> sample.label("http_route"))
        .containsExactly("/shop/orders/*");
    receiver.awaitSpan("GET /shop/orders/*");
    assertThat(receiver.spans())
        .extracting(ReceivedSpan::name)
        .containsExactly("GET /shop/orders/*");
  }

  @Test
  void forwardedHeadersNameTheClientAndSchemeEveryRepeatedValueCountsAndAbsentOnesCostNothing()
      throws Exception {
    start(ServletTelemetryFilter.builder(telemetry).build());
    URI uri = URI.create(base);

    // Two Forwarded lines (the JDK client might fold them into one): the scheme is in the first,
    // the client in the second, so both reach the semantic-convention extractors.
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket
          .getOutputStream()
          .write(
              ("GET /shop/orders/forwarded HTTP/1.1\r\n"
                      + "Host: shop.example:8443\r\n"
                      + "Forwarded: proto=https\r\n"
                      + "Forwarded: for=203.0.113.7\r\n"
                      + "User-Agent: raw-socket/1\r\n"
                      + "Connection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(response).startsWith("HTTP/1.1 201");
    }
    ReceivedSpan forwarded = span("/shop/orders/forwarded");
    assertThat(forwarded.attributes())
        .containsEntry("client.address", "203.0.113.7")
        .containsEntry("url.scheme", "https")
        .containsEntry("server.address", "shop.example")
        .containsEntry("server.port", "8443")
        .containsEntry("user_agent.original", "raw-socket/1")
        .containsEntry("network.protocol.version", "1.1");

    assertThat(get("/shop/orders/direct").statusCode()).isEqualTo(201);
    ReceivedSpan direct = span("/shop/orders/direct");
    assertThat(direct.attributes())
        .containsEntry("client.address", "127.0.0.1")
        .containsEntry("url.scheme", "http")
        .containsEntry("server.address", "127.0.0.1");
  }

  private ReceivedSpan span(String path) {
    return receiver
        .awaitSpans(s -> path.equals(s.attributes().get("url.path")), 1, Duration.ofSeconds(10))
        .get(0);
  }
}
