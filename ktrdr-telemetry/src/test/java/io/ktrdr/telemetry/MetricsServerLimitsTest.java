package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.RawHttp;
import io.ktrdr.telemetry.testing.Scrape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 19: the standalone metrics server cannot be silenced by slow clients. Before, it was the
 * JDK's {@code HttpServer} with two threads and no header deadline: two connections trickling a
 * header line every few seconds stopped every scrape for as long as they lasted.
 */
class MetricsServerLimitsTest {
  private static final int TRICKLERS = 200;
  private static final int SCRAPES = 400;

  private static KtrdrTelemetry telemetry(Map<String, String> env) {
    return KtrdrTelemetry.builder()
        .serviceName("batch-job")
        .environment(env)
        .shutdownHook(false)
        // A loaded machine may take long over 400 scrapes; past the budget they would be 503.
        .metricsScrapeTimeout(Duration.ofSeconds(30))
        .build();
  }

  /** A connection that sends a request line, then one header line a second, never the end. */
  private static final class Trickler {
    final SocketChannel channel;
    final long connected;
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    long nextLine;
    int lines;
    long closed = -1;

    Trickler(int port) throws IOException {
      channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
      connected = System.nanoTime();
      channel.configureBlocking(false);
      send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      nextLine = connected + TimeUnit.SECONDS.toNanos(1);
    }

    void send(String text) {
      try {
        channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
      } catch (IOException e) {
        closed = System.nanoTime();
      }
    }

    /** One step: a header line when due, and whatever the server sent. */
    void step(long now) {
      if (closed >= 0) {
        return;
      }
      if (now >= nextLine) {
        send("X-Trickle-" + lines++ + ": 1\r\n");
        nextLine = now + TimeUnit.SECONDS.toNanos(1);
      }
      ByteBuffer buffer = ByteBuffer.allocate(512);
      try {
        int read = channel.read(buffer);
        received.write(buffer.array(), 0, Math.max(read, 0));
        if (read < 0) {
          closed = now;
        }
      } catch (IOException e) {
        closed = now;
      }
    }

    void close() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // test cleanup
      }
    }
  }

  @Test
  @Timeout(60)
  void slowConnectionsAndAFloodOfScrapesDoNotSilenceIt() throws Exception {
    List<Trickler> tricklers = new ArrayList<>();
    try (KtrdrTelemetry telemetry = telemetry(Map.of("KTRDR_METRICS_PORT", "0"))) {
      int port = telemetry.metricsServerPort().orElseThrow();
      String url = "http://127.0.0.1:" + port + "/metrics";
      for (int i = 0; i < TRICKLERS; i++) {
        tricklers.add(new Trickler(port));
      }
      long start = System.nanoTime();
      long deadline = start + TimeUnit.SECONDS.toNanos(25);
      // Once every trickler has sent a header line, the scrapes come, all at once.
      while (System.nanoTime() < start + TimeUnit.MILLISECONDS.toNanos(1200)) {
        tricklers.forEach(t -> t.step(System.nanoTime()));
        Thread.sleep(50);
      }
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      long scrapesStart = System.nanoTime();
      List<CompletableFuture<HttpResponse<String>>> scrapes = new ArrayList<>();
      for (int i = 0; i < SCRAPES; i++) {
        scrapes.add(
            client.sendAsync(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15)).build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      CompletableFuture<Void> allScrapes =
          CompletableFuture.allOf(scrapes.toArray(CompletableFuture[]::new))
              .handle((ok, failure) -> null);
      long scrapesDone = -1;
      while (System.nanoTime() < deadline
          && (scrapesDone < 0 || tricklers.stream().anyMatch(t -> t.closed < 0))) {
        long now = System.nanoTime();
        tricklers.forEach(t -> t.step(now));
        if (scrapesDone < 0 && allScrapes.isDone()) {
          scrapesDone = now;
        }
        Thread.sleep(50);
      }

      List<Integer> statuses = new ArrayList<>();
      for (CompletableFuture<HttpResponse<String>> scrape : scrapes) {
        statuses.add(scrape.handle((r, e) -> r == null ? -1 : r.statusCode()).get());
      }
      List<Long> cutAfterMillis =
          tricklers.stream()
              .map(t -> t.closed < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(t.closed - t.connected))
              .sorted()
              .collect(Collectors.toList());
      System.out.printf(
          "MetricsServerLimitsTest: %d scrapes next to %d trickling connections: statuses %s in"
              + " %d ms; tricklers cut after %d-%d ms%n",
          SCRAPES,
          TRICKLERS,
          statuses.stream().collect(Collectors.groupingBy(s -> s, Collectors.counting())),
          scrapesDone < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(scrapesDone - scrapesStart),
          cutAfterMillis.get(0),
          cutAfterMillis.get(cutAfterMillis.size() - 1));

      assertThat(statuses).hasSize(SCRAPES).allSatisfy(s -> assertThat(s).isEqualTo(200));
      long firstCut =
          tricklers.stream()
              .mapToLong(t -> t.closed < 0 ? Long.MAX_VALUE : t.closed)
              .min()
              .orElseThrow();
      assertThat(scrapesDone).as("all scrapes answered").isPositive();
      assertThat(scrapesDone - firstCut)
          .as("all scrapes answered before the tricklers were cut at their deadline")
          .isNegative();
      assertThat(scrapes.get(0).get().body()).contains("target_info{");
      // Cut at the header deadline (10 s after connecting), however regularly they send.
      assertThat(cutAfterMillis)
          .hasSize(TRICKLERS)
          .allSatisfy(ms -> assertThat(ms).isBetween(9_500L, 14_000L));
      assertThat(tricklers)
          .allSatisfy(
              t ->
                  assertThat(t.received.toString(StandardCharsets.US_ASCII))
                      .startsWith("HTTP/1.1 408 Request Timeout\r\n"));
      Scrape after = Scrape.parse(Http.get(url).body());
      assertThat(
              after.value(
                  "ktrdr_telemetry_scrapes_rejected_total", Map.of("reason", "header_timeout")))
          .isEqualTo(TRICKLERS);
      assertThat(
              after.value(
                  "ktrdr_telemetry_scrapes_rejected_total", Map.of("reason", "connection_limit")))
          .isZero();
    } finally {
      tricklers.forEach(Trickler::close);
    }
  }

  @Test
  void aStrictHttp11ServerThatKeepsConnectionsAlive() throws IOException {
    try (KtrdrTelemetry telemetry = telemetry(Map.of("KTRDR_METRICS_PORT", "0"))) {
      int port = telemetry.metricsServerPort().orElseThrow();

      try (Socket socket = new Socket("127.0.0.1", port)) {
        socket.setSoTimeout(5000);
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        out.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String first = RawHttp.response(in);
        assertThat(first).startsWith("HTTP/1.1 200 OK\r\n").contains("target_info{");
        assertThat(first).doesNotContain("Connection: close");
        // Two more on the same connection, the second sent before the first is answered.
        out.write(
            ("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /other HTTP/1.1\r\nHost: x\r\n"
                    + "Connection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        String headResponse = RawHttp.response(in, true);
        assertThat(headResponse)
            .startsWith("HTTP/1.1 200 OK\r\n")
            .contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n");
        String notFound = RawHttp.response(in);
        assertThat(notFound)
            .startsWith("HTTP/1.1 404 Not Found\r\n")
            .contains("Connection: close\r\n")
            .endsWith("Not Found: metrics are served at /metrics\n");
        assertThat(in.read()).isEqualTo(-1);
      }

      // A head larger than the first read buffer, within the limit.
      assertThat(
              RawHttp.exchange(
                  port,
                  "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Long: "
                      + "a".repeat(5000)
                      + "\r\nConnection: close\r\n\r\n"))
          .startsWith("HTTP/1.1 200 OK\r\n");
      assertThat(
              RawHttp.exchange(
                  port, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(9000)))
          .startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n");
      assertThat(
              RawHttp.exchange(
                  port, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde"))
          .startsWith("HTTP/1.1 400 Bad Request\r\n")
          .endsWith("Bad request: a GET or HEAD has no body\n");
      assertThat(
              RawHttp.exchange(
                  port, "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"))
          .startsWith("HTTP/1.1 400 Bad Request\r\n");
      assertThat(RawHttp.exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n"))
          .startsWith("HTTP/1.1 400 Bad Request\r\n");
      assertThat(RawHttp.exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"))
          .startsWith("HTTP/1.1 400 Bad Request\r\n");
      assertThat(RawHttp.exchange(port, "GET /metrics HTTP/1.1\r\n\r\n"))
          .startsWith("HTTP/1.1 400 Bad Request\r\n")
          .endsWith("Bad request: HTTP/1.1 requires Host\n");
      assertThat(RawHttp.exchange(port, "GET x/metrics HTTP/1.1\r\nHost: x\r\n\r\n"))
          .startsWith("HTTP/1.1 400 Bad Request\r\n");
      assertThat(
              RawHttp.exchange(
                  port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"))
          .startsWith("HTTP/1.1 405 Method Not Allowed\r\n")
          .contains("Allow: GET, HEAD\r\n", "Connection: close\r\n");
      // HTTP/1.0 is answered, and closed.
      assertThat(RawHttp.exchange(port, "GET /metrics HTTP/1.0\r\n\r\n"))
          .startsWith("HTTP/1.1 200 OK\r\n")
          .contains("Connection: close\r\n", "target_info{");

      Scrape scrape = Scrape.parse(Http.get("http://127.0.0.1:" + port + "/metrics").body());
      assertThat(
              scrape.value(
                  "ktrdr_telemetry_scrapes_rejected_total", Map.of("reason", "header_too_large")))
          .isEqualTo(1);
      assertThat(
              scrape.value(
                  "ktrdr_telemetry_scrapes_rejected_total", Map.of("reason", "bad_request")))
          .isEqualTo(6);
    }
  }
}
