package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.Cluster;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that trickles header bytes (a header line a second, never the blank line) is closed
 * after the idle timeout, as for one that sends nothing: Jetty's idle timeout alone restarts with
 * every byte and held such a connection for as long as the client liked.
 */
class TrickledHeadersTest {
  private static final Duration IDLE = Duration.ofSeconds(2);

  /** The trickle goes on at most this long: far past the bound, so the old server shows. */
  private static final Duration TRICKLE = Duration.ofSeconds(15);

  private static Cluster cluster;

  @BeforeAll
  static void start() {
    cluster =
        new Cluster(Map.of(), Map.of("KTRDR_HTTP_IDLE_TIMEOUT_MS", Long.toString(IDLE.toMillis())));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static Socket connect() throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), cluster.api.port());
    socket.setSoTimeout(1000);
    return socket;
  }

  /** Whether the server closed the connection: a read answers end of stream (or a reset). */
  private static boolean closedByServer(InputStream in) throws IOException {
    try {
      return in.read() < 0;
    } catch (SocketTimeoutException stillOpen) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  @Test
  void headersTrickledOneLineASecondAreCutAtTheIdleTimeout() throws Exception {
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      long start = System.nanoTime();
      out.write(
          "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
      boolean closed = false;
      for (int line = 0; !closed && line < TRICKLE.toSeconds(); line++) {
        try {
          out.write(("X-Trickle-" + line + ": a\r\n").getBytes(StandardCharsets.US_ASCII));
          out.flush();
        } catch (IOException refused) {
          closed = true;
          break;
        }
        // Waits up to 1 s for the close: the pace of the trickle.
        closed = closedByServer(in);
      }
      Duration held = Duration.ofNanos(System.nanoTime() - start);
      assertThat(closed).as("closed within " + TRICKLE + " of trickling").isTrue();
      // The bound plus a margin for a loaded 2-core machine (the deadline thread, a 1 s read).
      assertThat(held)
          .isGreaterThanOrEqualTo(IDLE.minusMillis(100))
          .isLessThan(IDLE.plusSeconds(3));
    }
  }

  @Test
  void aKeepAliveConnectionServesRequestAfterRequest() throws Exception {
    try (Socket socket = connect()) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      // Four requests over more than twice the bound: each request head starts its own deadline.
      for (int i = 0; i < 4; i++) {
        out.write(
            "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String head = readHead(in);
        assertThat(head).startsWith("HTTP/1.1 200");
        readBody(in, head);
        // Client think time between requests (not a wait for a condition): within the bound.
        Thread.sleep(IDLE.toMillis() * 2 / 3);
      }
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      assertThat(b).as("response head so far: " + head).isNotNegative();
      head.append((char) b);
    }
    return head.toString();
  }

  private static void readBody(InputStream in, String head) throws IOException {
    String lower = head.toLowerCase(java.util.Locale.ROOT);
    int at = lower.indexOf("content-length: ");
    assertThat(at).as(head).isPositive();
    int length = Integer.parseInt(lower.substring(at + 16, lower.indexOf("\r\n", at)).trim());
    assertThat(in.readNBytes(length)).hasSize(length);
  }
}
