package io.ktrdr.app.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.ktrdr.app.testing.MutableClock;
import io.opentelemetry.api.OpenTelemetry;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The head deadline of a short connection is cancelled when the connection closes, and a cancelled
 * deadline leaves the executor's queue at once: it does not keep the closed connection alive for
 * the whole idle timeout.
 */
class RequestHeadTimeoutTest {
  private static final int CONNECTIONS = 300;

  private Javalin app;

  @BeforeEach
  void start() {
    RouteCatalog catalog = new RouteCatalog();
    catalog.get(
        "/ping",
        RouteCatalog.doc("test", "answers").access(Access.PUBLIC),
        ctx -> ctx.result("ok"));
    Credentials credentials =
        new Credentials(
            "head-timeout-test-secret-0123456789",
            Optional.empty(),
            Optional.empty(),
            OpenTelemetry.noop().getMeter("test"));
    RequestGuard guard = new RequestGuard(credentials, List.of(), List.of());
    // A long idle timeout: without remove-on-cancel every deadline would stay queued this long.
    app =
        Javalin.create(
                config ->
                    ServerSetup.configure(
                        config, catalog, guard, Duration.ofSeconds(60), new MutableClock()))
            .start("127.0.0.1", 0);
  }

  @AfterEach
  void stop() {
    app.stop();
  }

  @Test
  void closedConnectionsLeaveNoDeadlineQueued() throws Exception {
    int before = RequestGuard.DEADLINES.getQueue().size();
    for (int i = 0; i < CONNECTIONS; i++) {
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), app.port())) {
        socket.setSoTimeout(10_000);
        socket
            .getOutputStream()
            .write(
                "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1))
            .startsWith("HTTP/1.1 200");
      }
    }
    // The server closes each connection just after the client reads its end: wait for the last.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    int queued = RequestGuard.DEADLINES.getQueue().size();
    while (queued > before + 5 && System.nanoTime() < deadline) {
      Thread.sleep(20);
      queued = RequestGuard.DEADLINES.getQueue().size();
    }
    assertThat(queued)
        .as("deadlines still queued after %d connections", CONNECTIONS)
        .isLessThanOrEqualTo(before + 5);
  }
}
