package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.Cluster;
import io.ktrdr.telemetry.testing.Scrape;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile and broken requests against the running API: none causes a 500, none breaks the
 * telemetry, none adds unbounded series.
 */
class BadInputCorpusTest {
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static Cluster cluster;

  @BeforeAll
  static void start() {
    cluster = new Cluster(Map.of(), Map.of());
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(cluster.apiUrl(path))).timeout(Duration.ofSeconds(10));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Sends raw bytes (what an HTTP client library would refuse to send) and returns the status. */
  private static int raw(byte[] request) throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), cluster.api.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] head = in.readNBytes(12);
      String statusLine = new String(head, StandardCharsets.ISO_8859_1);
      assertThat(statusLine).startsWith("HTTP/1.1 ");
      return Integer.parseInt(statusLine.substring(9, 12));
    }
  }

  @Test
  void malformedPropagationHeadersAreIgnored() throws Exception {
    List<String[]> headers =
        List.of(
            new String[] {"traceparent", "garbage"},
            new String[] {"traceparent", "00-" + "0".repeat(32) + "-" + "0".repeat(16) + "-01"},
            new String[] {"traceparent", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
            new String[] {
              "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz-extra"
            },
            new String[] {"tracestate", "=,=,=,,,k=" + "v".repeat(600)},
            new String[] {"baggage", ";;;===,%%%,k=v;prop=" + "x".repeat(4000)},
            new String[] {"baggage", "a=" + "b,".repeat(500)});
    for (String[] header : headers) {
      HttpResponse<String> response = get("/api/v1/data/AAPL/1d?start=2024-12-01", header);
      String shown = header[1].length() > 60 ? header[1].substring(0, 60) + "..." : header[1];
      assertThat(response.statusCode()).as(header[0] + ": " + shown).isEqualTo(200);
    }
  }

  @Test
  void hugeHeadersAreRefusedByTheServerNotByTheTelemetry() throws Exception {
    String request =
        "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Big: "
            + "a".repeat(64 * 1024)
            + "\r\nConnection: close\r\n\r\n";
    assertThat(raw(request.getBytes(StandardCharsets.US_ASCII))).isEqualTo(431);
    assertThat(get("/api/v1/health").statusCode()).isEqualTo(200);
  }

  @Test
  void invalidUtf8InThePathIsAClientError() throws Exception {
    assertThat(get("/api/v1/data/%FF%FE/1d").statusCode()).isBetween(400, 499);
    byte[] rawBytes =
        ("GET /api/v1/data/\u00ff\u00fe/1d HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    assertThat(raw(rawBytes)).isBetween(400, 499);
  }

  @Test
  void unknownMethodsAndMalformedBodiesAreClientErrors() throws Exception {
    for (String method : new String[] {"BREW", "PROPFIND", "get"}) {
      HttpResponse<String> response =
          CLIENT.send(
              HttpRequest.newBuilder(URI.create(cluster.apiUrl("/api/v1/health")))
                  .method(method, HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(method).isBetween(400, 499);
    }
    for (String body :
        new String[] {
          "{",
          "[]",
          "null",
          "\"text\"",
          "{\"symbol\": 12}",
          "{\"symbol\":\"AAPL\",\"fast_period\":\"x\"}",
          "\u0000\u0001",
          "[".repeat(5000) + "]".repeat(5000)
        }) {
      HttpResponse<String> response = cluster.api("POST", "/api/v1/backtests/start", body);
      assertThat(response.statusCode())
          .as(body.length() > 40 ? body.substring(0, 40) : body)
          .isBetween(400, 499);
    }
  }

  @Test
  void thousandsOfDistinctPathsAddNoSeriesAndTheTelemetryNeverFailed() throws Exception {
    for (int i = 0; i < 2000; i++) {
      assertThat(get("/scan/" + i + "/.env?x=" + i).statusCode()).isEqualTo(404);
    }
    Scrape scrape = Scrape.parse(cluster.api("GET", "/metrics", null).body());

    List<Scrape.Sample> counts = scrape.samples("http_server_request_duration_seconds_count");
    assertThat(counts).hasSizeLessThan(40);
    assertThat(counts)
        .flatExtracting(s -> List.copyOf(s.labels().values()))
        .noneMatch(value -> value.contains("/scan/") || value.contains(".env"));
    assertThat(
            scrape.samples(
                "http_server_request_duration_seconds_count",
                s -> "500".equals(s.label("http_response_status_code"))))
        .isEmpty();
    assertThat(scrape.samples("ktrdr_telemetry_errors_total"))
        .isNotEmpty()
        .allSatisfy(s -> assertThat(s.value()).as(s.labels().toString()).isZero());
  }
}
