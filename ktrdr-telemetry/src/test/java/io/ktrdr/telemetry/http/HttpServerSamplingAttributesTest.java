package io.ktrdr.telemetry.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.javalin.RecordingSampler;
import io.opentelemetry.api.trace.SpanKind;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The JDK {@code HttpServer} filter gives the sampler the same start attributes as the servlet
 * filter: method, scheme, path (without the query) and the Host header's address and port.
 */
class HttpServerSamplingAttributesTest {

  private static Map<String, Object> attributes(RecordingSampler.Call call) {
    Map<String, Object> map = new HashMap<>();
    call.attributes().forEach((key, value) -> map.put(key.getKey(), value));
    return map;
  }

  private static void ok(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.sendResponseHeaders(204, -1);
    }
  }

  @Test
  void theSamplerSeesMethodSchemePathAndTheHostHeader() throws Exception {
    try (KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("jdk-sampling")
            .jvmMetrics(false)
            .shutdownHook(false)
            .environment(
                Map.of("OTEL_TRACES_SAMPLER", "test_recording", "OTEL_TRACES_EXPORTER", "none"))
            .build()) {
      RecordingSampler sampler = RecordingSampler.last();
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server
          .createContext("/orders", HttpServerSamplingAttributesTest::ok)
          .getFilters()
          .add(HttpServerTelemetryFilter.builder(telemetry).build());
      server.start();
      try {
        int port = server.getAddress().getPort();
        HttpResponse<Void> response =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/orders/7?expand=1"))
                        .build(),
                    HttpResponse.BodyHandlers.discarding());
        assertThat(response.statusCode()).isEqualTo(204);
        // A Host without a port, and one whose port is not a number: default port, and none.
        raw(port, "GET /orders/8 HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n");
        raw(port, "GET /orders/9 HTTP/1.1\r\nHost: [::1]:x1\r\nConnection: close\r\n\r\n");

        List<RecordingSampler.Call> calls =
            sampler.calls.stream().filter(call -> call.kind() == SpanKind.SERVER).toList();
        assertThat(calls).hasSize(3);
        assertThat(attributes(calls.get(0)))
            .containsExactlyInAnyOrderEntriesOf(
                Map.of(
                    "http.request.method", "GET",
                    "url.scheme", "http",
                    "url.path", "/orders/7",
                    "server.address", "127.0.0.1",
                    "server.port", (long) port));
        assertThat(attributes(calls.get(1)))
            .containsEntry("server.address", "shop.example")
            .containsEntry("server.port", 80L);
        assertThat(attributes(calls.get(2)))
            .containsEntry("server.address", "[::1]")
            .doesNotContainKey("server.port");
      } finally {
        server.stop(0);
      }
    }
  }

  private static void raw(int port, String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      String head = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertThat(head).isEqualTo("HTTP/1.1 204");
    }
  }
}
