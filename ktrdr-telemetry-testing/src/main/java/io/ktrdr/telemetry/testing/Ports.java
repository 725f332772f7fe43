package io.ktrdr.telemetry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Loopback ports for a process that takes its port from configuration instead of binding port 0.
 *
 * <pre>{@code
 * int metricsPort = Ports.free();
 * // start the service with KTRDR_METRICS_PORT=metricsPort
 * }</pre>
 */
public final class Ports {
  private Ports() {}

  /**
   * A loopback port that was free a moment ago. Nothing listens on it afterwards, which also makes
   * it the address of a collector that is down (connection refused).
   */
  public static int free() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("No free loopback port", e);
    }
  }
}
