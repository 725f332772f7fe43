package io.ktrdr.examples.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A collector that is up but never answers: it accepts connections on a loopback port and holds
 * them without reading or writing, as a hung collector or a black-holed proxy would.
 */
public final class UnresponsiveCollector implements AutoCloseable {
  private final ServerSocket socket;
  private final List<Socket> held = new ArrayList<>();
  private final Thread acceptor;

  private UnresponsiveCollector(ServerSocket socket) {
    this.socket = socket;
    this.acceptor = new Thread(this::accept, "unresponsive-collector");
    this.acceptor.setDaemon(true);
    this.acceptor.start();
  }

  /** Starts accepting on a free loopback port. */
  public static UnresponsiveCollector start() {
    try {
      return new UnresponsiveCollector(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open a loopback socket", e);
    }
  }

  /** The base URL, for {@code OTEL_EXPORTER_OTLP_ENDPOINT}. */
  public String endpoint() {
    return "http://127.0.0.1:" + socket.getLocalPort();
  }

  private void accept() {
    while (!socket.isClosed()) {
      try {
        Socket connection = socket.accept();
        synchronized (held) {
          held.add(connection);
        }
      } catch (IOException closed) {
        return;
      }
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
      synchronized (held) {
        for (Socket connection : held) {
          connection.close();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
