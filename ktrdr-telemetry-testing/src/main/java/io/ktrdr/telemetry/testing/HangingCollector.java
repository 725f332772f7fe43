package io.ktrdr.telemetry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A collector that is up but never answers: it accepts connections on a loopback port and holds
 * them without reading or writing, as a hung collector or a black-holed proxy would. The worst case
 * for an exporter, which must time out instead of hanging the application.
 *
 * <pre>{@code
 * try (HangingCollector collector = HangingCollector.start()) {
 *   // start the service with OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint(); requests must stay fast
 * }
 * }</pre>
 */
public final class HangingCollector implements AutoCloseable {
  private final ServerSocket socket;
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();
  private final Thread acceptor;

  private HangingCollector(ServerSocket socket) {
    this.socket = socket;
    acceptor =
        new Thread(
            () -> {
              while (!socket.isClosed()) {
                try {
                  accepted.add(socket.accept());
                } catch (IOException closed) {
                  return;
                }
              }
            },
            "hanging-collector");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Starts accepting on a free loopback port. */
  public static HangingCollector start() {
    try {
      return new HangingCollector(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open a loopback socket", e);
    }
  }

  /** The base URL to give as {@code OTEL_EXPORTER_OTLP_ENDPOINT}. */
  public String endpoint() {
    return "http://127.0.0.1:" + socket.getLocalPort();
  }

  /** Connections accepted (and never answered). */
  public int connections() {
    return accepted.size();
  }

  /** An endpoint where nothing listens: connections are refused. */
  public static String closedEndpoint() {
    return "http://127.0.0.1:" + Ports.free();
  }

  @Override
  public void close() {
    try {
      socket.close();
      for (Socket s : accepted) {
        s.close();
      }
    } catch (IOException ignored) {
      // test cleanup
    }
  }
}
