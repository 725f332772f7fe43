package io.ktrdr.telemetry.internal.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.MetricsAuth;
import io.ktrdr.telemetry.MetricsEndpoints;
import io.ktrdr.telemetry.MetricsHandler;
import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.ktrdr.telemetry.testing.Await;
import io.ktrdr.telemetry.testing.RawHttp;
import io.ktrdr.telemetry.testing.Scrape;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The standalone server under faults a hostile review found: an {@code Error} while collecting,
 * clients that ask and never read, a stream of silent connections next to a kept-alive scraper, and
 * a close while a response is being written.
 */
class MetricsServerFaultsTest {
  private static final String SCRAPE = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  private static final String SCRAPE_AND_CLOSE =
      "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  private static final AttributeKey<String> KEY = AttributeKey.stringKey("key");

  /**
   * About 15 MB of exposition: far more than the socket buffers (up to 4 MB on Linux) of a client
   * that never reads.
   */
  private static KtrdrTelemetry telemetryWithALargeResponse() {
    KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("batch-job")
            .environment(Map.of())
            .shutdownHook(false)
            .build();
    String padding = "p".repeat(10_000);
    telemetry
        .meter("test")
        .gaugeBuilder("large")
        .buildWithCallback(
            gauge -> {
              for (int i = 0; i < 1500; i++) {
                gauge.record(i, Attributes.of(KEY, i + padding));
              }
            });
    return telemetry;
  }

  private static MetricsServer server(KtrdrTelemetry telemetry, MetricsServer.Limits limits) {
    return MetricsServer.start(
        MetricsEndpoints.of(telemetry.metricsHandler()), "127.0.0.1", 0, limits);
  }

  private static double rejected(int port, String reason) throws IOException {
    String answer =
        RawHttp.exchange(
            port,
            "GET /metrics?name[]=ktrdr_telemetry_scrapes_rejected_total HTTP/1.1\r\nHost: x\r\n"
                + "Connection: close\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 200 OK");
    return Scrape.parse(answer.substring(answer.indexOf("\r\n\r\n") + 4))
        .value("ktrdr_telemetry_scrapes_rejected_total", Map.of("reason", reason));
  }

  /** A client that sends a scrape and never reads the answer. */
  private static Socket nonReader(int port) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress("127.0.0.1", port));
    socket.getOutputStream().write(SCRAPE.getBytes(StandardCharsets.US_ASCII));
    return socket;
  }

  private static String statusLine(Socket socket, String request) {
    try {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      String response = RawHttp.response(socket.getInputStream());
      return response.substring(0, response.indexOf("\r\n"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  @Test
  void anErrorWhileCollectingIsAnswered500AndReleasesTheConnection() throws IOException {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(
        new MultiCollector() {
          @Override
          public MetricSnapshots collect() {
            throw new StackOverflowError("simulated");
          }
        });
    TelemetryErrors errors = TelemetryErrors.create(OpenTelemetry.noop());
    MetricsHandler handler =
        MetricsEndpoints.handler(
            registry,
            MetricsAuth.none(),
            errors,
            new ScrapeRejections(OpenTelemetry.noop()),
            Duration.ofSeconds(2),
            4);
    try (MetricsServer server =
        MetricsServer.start(
            MetricsEndpoints.of(handler),
            "127.0.0.1",
            0,
            MetricsServer.Limits.defaults().withMaxConnections(2))) {
      // More scrapes than connections: a leaked slot would refuse the third.
      for (int i = 0; i < 3; i++) {
        assertThat(RawHttp.exchange(server.port(), SCRAPE_AND_CLOSE))
            .as("scrape %d", i)
            .startsWith("HTTP/1.1 500 Internal Server Error\r\n")
            .endsWith("Collecting metrics failed\n");
      }
      Await.until(
          "no connection open", Duration.ofSeconds(10), () -> server.openConnections() == 0);
      assertThat(errors.failures(TelemetryErrors.METRICS_SCRAPE)).isGreaterThanOrEqualTo(3);
    } finally {
      MetricsEndpoints.close(handler);
    }
  }

  @Test
  void clientsThatNeverReadDoNotHoldEverySlot() throws IOException {
    List<Socket> nonReaders = new ArrayList<>();
    try (KtrdrTelemetry telemetry = telemetryWithALargeResponse();
        MetricsServer server =
            server(telemetry, MetricsServer.Limits.defaults().withMaxConnections(8))) {
      try {
        for (int i = 0; i < 8; i++) {
          nonReaders.add(nonReader(server.port()));
        }
        // Stalled writers become evictable after the grace, or are cut off by the minimum rate.
        Await.until(
            "a scrape answered next to 8 clients that never read",
            Duration.ofSeconds(20),
            () -> {
              try {
                return RawHttp.exchange(server.port(), SCRAPE_AND_CLOSE)
                    .startsWith("HTTP/1.1 200 OK");
              } catch (IOException e) {
                return false;
              }
            });
      } finally {
        for (Socket socket : nonReaders) {
          socket.close();
        }
      }
      Await.until(
          "no connection open", Duration.ofSeconds(10), () -> server.openConnections() == 0);
      assertThat(
              rejected(server.port(), "connection_limit")
                  + rejected(server.port(), "write_timeout"))
          .isPositive();
    }
  }

  @Test
  void aClientReadingSlowerThanTheMinimumRateIsCutOff() throws IOException {
    try (KtrdrTelemetry telemetry = telemetryWithALargeResponse();
        MetricsServer server = server(telemetry, MetricsServer.Limits.defaults());
        Socket nonReader = nonReader(server.port())) {
      Await.until("a connection open", Duration.ofSeconds(5), () -> server.openConnections() == 1);
      // The write deadline is 30 s: only the minimum rate closes it this soon.
      Await.until(
          "the non-reader cut off", Duration.ofSeconds(15), () -> server.openConnections() == 0);
      assertThat(rejected(server.port(), "write_timeout")).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void aScrapeOverTheBufferedBytesIsAnswered503AtOnce() throws IOException {
    try (KtrdrTelemetry telemetry = telemetryWithALargeResponse();
        MetricsServer server =
            server(
                telemetry,
                MetricsServer.Limits.defaults()
                    .withMaxBufferedBytes(1024 * 1024)
                    .withMinWriteBytesPerSecond(0)
                    .withEvictionGrace(Duration.ofHours(1)))) {
      try (Socket nonReader = nonReader(server.port())) {
        Await.until(
            "the non-reader's response buffered",
            Duration.ofSeconds(30),
            () -> server.bufferedBytes() > 1024 * 1024);
        assertThat(RawHttp.exchange(server.port(), SCRAPE_AND_CLOSE))
            .startsWith("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n")
            .endsWith("Too many responses are waiting for slow clients; retry later\n");
      }
      // Once the non-reader is gone, its bytes are released.
      Await.until(
          "a scrape answered again",
          Duration.ofSeconds(10),
          () -> {
            try {
              return RawHttp.exchange(server.port(), SCRAPE_AND_CLOSE)
                  .startsWith("HTTP/1.1 200 OK");
            } catch (IOException e) {
              return false;
            }
          });
      assertThat(rejected(server.port(), "buffer_limit")).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void silentConnectionsDoNotPushOutTheScrapersKeptAliveConnection() throws IOException {
    List<Socket> silent = new ArrayList<>();
    try (KtrdrTelemetry telemetry =
            KtrdrTelemetry.builder()
                .serviceName("batch-job")
                .environment(Map.of())
                .shutdownHook(false)
                .build();
        MetricsServer server =
            server(telemetry, MetricsServer.Limits.defaults().withMaxConnections(4));
        Socket scraper = new Socket("127.0.0.1", server.port())) {
      try {
        assertThat(statusLine(scraper, SCRAPE)).isEqualTo("HTTP/1.1 200 OK");
        for (int i = 0; i < 4; i++) {
          silent.add(new Socket("127.0.0.1", server.port()));
        }
        Await.until(
            "the last silent connection refused",
            Duration.ofSeconds(5),
            () -> {
              try {
                silent.get(3).setSoTimeout(100);
                return silent.get(3).getInputStream().read() == -1;
              } catch (SocketTimeoutException e) {
                return false;
              } catch (IOException e) {
                return true;
              }
            });
        assertThat(statusLine(scraper, SCRAPE)).isEqualTo("HTTP/1.1 200 OK");
      } finally {
        for (Socket socket : silent) {
          socket.close();
        }
      }
    }
  }

  @Test
  void atTheLimitTheAddressHoldingTheMostConnectionsIsPushedOutFirst() throws IOException {
    InetAddress other = InetAddress.getByName("127.0.0.2");
    List<Socket> silent = new ArrayList<>();
    try (KtrdrTelemetry telemetry =
            KtrdrTelemetry.builder()
                .serviceName("batch-job")
                .environment(Map.of())
                .shutdownHook(false)
                .build();
        MetricsServer server =
            server(
                telemetry,
                MetricsServer.Limits.defaults()
                    .withMaxConnections(3)
                    .withEvictionGrace(Duration.ZERO))) {
      try {
        silent.add(new Socket("127.0.0.1", server.port()));
        Await.until("1 connection", Duration.ofSeconds(5), () -> server.openConnections() == 1);
        for (int i = 0; i < 2; i++) {
          Socket socket = new Socket();
          socket.bind(new InetSocketAddress(other, 0));
          socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
          silent.add(socket);
        }
        Await.until("3 connections", Duration.ofSeconds(5), () -> server.openConnections() == 3);
        assertThat(RawHttp.exchange(server.port(), SCRAPE_AND_CLOSE)).startsWith("HTTP/1.1 200 OK");
        silent.get(1).setSoTimeout(5000);
        assertThat(silent.get(1).getInputStream().read())
            .as("the oldest of 127.0.0.2's two is closed")
            .isEqualTo(-1);
        silent.get(0).setSoTimeout(100);
        assertThat(isOpen(silent.get(0))).as("127.0.0.1's older one is still open").isTrue();
      } finally {
        for (Socket socket : silent) {
          socket.close();
        }
      }
    }
  }

  @Test
  void anAddressAtItsLimitPushesOutOnlyItsOwnConnections() throws IOException {
    InetAddress other = InetAddress.getByName("127.0.0.2");
    List<Socket> silent = new ArrayList<>();
    try (KtrdrTelemetry telemetry =
            KtrdrTelemetry.builder()
                .serviceName("batch-job")
                .environment(Map.of())
                .shutdownHook(false)
                .build();
        MetricsServer server =
            server(
                telemetry,
                MetricsServer.Limits.defaults()
                    .withMaxConnections(4)
                    .withMaxConnectionsPerAddress(2)
                    .withEvictionGrace(Duration.ZERO))) {
      try {
        for (int i = 0; i < 4; i++) {
          Socket socket = new Socket();
          if (i >= 2) {
            socket.bind(new InetSocketAddress(other, 0));
          }
          socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
          silent.add(socket);
          int opened = i + 1;
          Await.until(
              opened + " connections",
              Duration.ofSeconds(5),
              () -> server.openConnections() == opened);
        }
        // Two each: without the per-address rule, the oldest of all (127.0.0.1's) would go.
        Socket more = new Socket();
        more.bind(new InetSocketAddress(other, 0));
        more.connect(new InetSocketAddress("127.0.0.1", server.port()));
        silent.add(more);
        silent.get(2).setSoTimeout(5000);
        assertThat(silent.get(2).getInputStream().read())
            .as("127.0.0.2's oldest is closed")
            .isEqualTo(-1);
        silent.get(0).setSoTimeout(100);
        assertThat(isOpen(silent.get(0))).as("127.0.0.1's oldest is still open").isTrue();
      } finally {
        for (Socket socket : silent) {
          socket.close();
        }
      }
    }
  }

  private static boolean isOpen(Socket socket) {
    try {
      return socket.getInputStream().read() >= 0;
    } catch (SocketTimeoutException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void closeLetsAResponseBeingWrittenFinish() throws Exception {
    try (KtrdrTelemetry telemetry = telemetryWithALargeResponse()) {
      MetricsServer server = server(telemetry, MetricsServer.Limits.defaults());
      try (Socket client = nonReader(server.port())) {
        client.setSoTimeout(10_000);
        InputStream in = client.getInputStream();
        assertThat(in.read()).as("the response has begun").isEqualTo('H');
        CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
        byte[] rest = in.readAllBytes();
        closing.get();
        String response = "H" + new String(rest, StandardCharsets.ISO_8859_1);
        int headEnd = response.indexOf("\r\n\r\n") + 4;
        assertThat(headEnd).isGreaterThan(4);
        String length =
            response
                .lines()
                .filter(line -> line.startsWith("Content-Length: "))
                .findFirst()
                .orElseThrow()
                .substring("Content-Length: ".length());
        assertThat(response.length() - headEnd)
            .as("the whole body arrived")
            .isEqualTo(Integer.parseInt(length));
      } finally {
        server.close();
      }
    }
  }

  @Test
  void controlCharactersDuplicateHostsAndAbsoluteTargets() throws IOException {
    try (KtrdrTelemetry telemetry =
            KtrdrTelemetry.builder()
                .serviceName("batch-job")
                .environment(Map.of())
                .shutdownHook(false)
                .build();
        MetricsServer server = server(telemetry, MetricsServer.Limits.defaults())) {
      int port = server.port();
      assertThat(RawHttp.exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"))
          .startsWith("HTTP/1.1 400 Bad Request\r\n")
          .endsWith("Bad request: a control character in a header field\n");
      assertThat(RawHttp.exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n"))
          .startsWith("HTTP/1.1 400 Bad Request\r\n");
      assertThat(
              RawHttp.exchange(
                  port,
                  "GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: a\tb\r\nConnection: close\r\n\r\n"))
          .startsWith("HTTP/1.1 200 OK\r\n");
      assertThat(RawHttp.exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"))
          .startsWith("HTTP/1.1 400 Bad Request\r\n")
          .endsWith("Bad request: more than one Host\n");
      assertThat(
              RawHttp.exchange(
                  port,
                  "GET http://x:9464/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
          .startsWith("HTTP/1.1 200 OK\r\n")
          .contains("target_info{");
      assertThat(
              RawHttp.exchange(
                  port, "GET http://x/other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
          .startsWith("HTTP/1.1 404 Not Found\r\n");
      assertThat(RawHttp.exchange(port, "GET ftp://x/metrics HTTP/1.1\r\nHost: x\r\n\r\n"))
          .startsWith("HTTP/1.1 400 Bad Request\r\n");
    }
  }
}
