package io.ktrdr.examples.jdkhttp;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.MetricsHandler;
import io.ktrdr.telemetry.http.HttpServerTelemetryFilter;
import io.opentelemetry.api.metrics.LongCounter;
import io.prometheus.metrics.exporter.httpserver.HttpExchangeAdapter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A service on the JDK's {@link HttpServer}: {@code /metrics} from the library's handler through
 * client_java's adapter, and one route of its own that counts greetings. {@link
 * HttpServerTelemetryFilter} on every context records {@code http_server_request_duration_seconds}
 * by context path ({@code http_route="/hello"}) and a server span per request; it leaves {@code
 * /metrics} alone. The port comes from {@code PORT} (default 8080; 0 picks a free one).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws IOException {
    KtrdrTelemetry telemetry = KtrdrTelemetry.setup("jdk-httpserver-example");
    LongCounter greetings =
        telemetry
            .meter("io.ktrdr.examples.jdkhttp")
            .counterBuilder("example.greetings")
            .setDescription("Greetings served.")
            .build();

    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    HttpServerTelemetryFilter requests = HttpServerTelemetryFilter.builder(telemetry).build();
    MetricsHandler metrics = telemetry.metricsHandler();
    server
        .createContext("/metrics", exchange -> metrics.handle(new HttpExchangeAdapter(exchange)))
        .getFilters()
        .add(requests);
    server
        .createContext(
            "/hello",
            exchange -> {
              greetings.add(1);
              respond(exchange, "hello\n");
            })
        .getFilters()
        .add(requests);
    server.start();
    System.out.println("listening on http://127.0.0.1:" + server.getAddress().getPort());
  }

  private static void respond(HttpExchange exchange, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }
}
