package io.ktrdr.examples.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Loopback ports for examples that take their port from configuration, not from port 0. */
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
