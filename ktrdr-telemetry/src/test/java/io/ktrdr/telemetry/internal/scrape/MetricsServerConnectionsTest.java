package io.ktrdr.telemetry.internal.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.MetricsEndpoints;
import io.ktrdr.telemetry.testing.Await;
import io.ktrdr.telemetry.testing.RawHttp;
import io.ktrdr.telemetry.testing.Scrape;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The standalone server's idle timeout and connection limit, with small limits. */
class MetricsServerConnectionsTest {

  private static KtrdrTelemetry telemetry() {
    return KtrdrTelemetry.builder()
        .serviceName("batch-job")
        .environment(Map.of())
        .shutdownHook(false)
        .build();
  }

  private static MetricsServer server(KtrdrTelemetry telemetry, MetricsServer.Limits limits) {
    return MetricsServer.start(
        MetricsEndpoints.of(telemetry.metricsHandler()), "127.0.0.1", 0, limits);
  }

  private static double rejected(int port, String reason) throws IOException {
    String answer =
        RawHttp.exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return Scrape.parse(answer.substring(answer.indexOf("\r\n\r\n") + 4))
        .value("ktrdr_telemetry_scrapes_rejected_total", Map.of("reason", reason));
  }

  @Test
  void aKeptAliveConnectionClosesWhenIdle() throws IOException {
    try (KtrdrTelemetry telemetry = telemetry();
        MetricsServer server =
            server(
                telemetry,
                MetricsServer.Limits.defaults().withIdleTimeout(Duration.ofMillis(300)))) {
      try (Socket socket = new Socket("127.0.0.1", server.port())) {
        socket.setSoTimeout(5000);
        socket.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
        assertThat(RawHttp.response(socket.getInputStream())).startsWith("HTTP/1.1 200 OK");
        long answered = System.nanoTime();
        assertThat(socket.getInputStream().read()).isEqualTo(-1);
        assertThat(System.nanoTime() - answered)
            .isBetween(TimeUnit.MILLISECONDS.toNanos(150), TimeUnit.SECONDS.toNanos(4));
      }
      Await.until("no connection open", Duration.ofSeconds(5), () -> server.openConnections() == 0);
    }
  }

  @Test
  void atTheConnectionLimitANewConnectionIsClosedWhileTheOthersAreYoung() throws IOException {
    try (KtrdrTelemetry telemetry = telemetry();
        MetricsServer server =
            server(
                telemetry,
                MetricsServer.Limits.defaults()
                    .withMaxConnections(3)
                    .withEvictionGrace(Duration.ofHours(1)))) {
      List<Socket> silent = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          silent.add(new Socket("127.0.0.1", server.port()));
        }
        Await.until("3 connections", Duration.ofSeconds(5), () -> server.openConnections() == 3);
        try (Socket refused = new Socket("127.0.0.1", server.port())) {
          refused.setSoTimeout(5000);
          assertThat(refused.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(server.openConnections()).isEqualTo(3);
      } finally {
        for (Socket socket : silent) {
          socket.close();
        }
      }
      Await.until("no connection open", Duration.ofSeconds(5), () -> server.openConnections() == 0);
      assertThat(rejected(server.port(), "connection_limit")).isEqualTo(1);
    }
  }

  @Test
  void atTheConnectionLimitAScrapePushesOutTheOldestSilentConnection() throws IOException {
    try (KtrdrTelemetry telemetry = telemetry();
        MetricsServer server =
            server(
                telemetry,
                MetricsServer.Limits.defaults()
                    .withMaxConnections(3)
                    .withEvictionGrace(Duration.ZERO))) {
      List<Socket> silent = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          silent.add(new Socket("127.0.0.1", server.port()));
          int opened = i + 1;
          Await.until(
              opened + " connections",
              Duration.ofSeconds(5),
              () -> server.openConnections() == opened);
        }
        assertThat(
                RawHttp.exchange(
                    server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
            .startsWith("HTTP/1.1 200 OK");
        silent.get(0).setSoTimeout(5000);
        assertThat(silent.get(0).getInputStream().read()).as("the oldest is closed").isEqualTo(-1);
        silent.get(2).setSoTimeout(100);
        assertThatThrownBy(() -> silent.get(2).getInputStream().read())
            .as("the newest is still open")
            .isInstanceOf(SocketTimeoutException.class);
      } finally {
        for (Socket socket : silent) {
          socket.close();
        }
      }
      Await.until("no connection open", Duration.ofSeconds(5), () -> server.openConnections() == 0);
      assertThat(rejected(server.port(), "connection_limit")).isEqualTo(1);
    }
  }
}
