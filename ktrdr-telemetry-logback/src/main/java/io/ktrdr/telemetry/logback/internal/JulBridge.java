package io.ktrdr.telemetry.logback.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Routes {@code java.util.logging} to SLF4J. Removes only what the JDK installed by itself (the one
 * {@link ConsoleHandler} of the root logger when no JUL configuration was given), so JUL records
 * are not printed twice; a handler the application installed stays. {@link #close()} puts back what
 * it removed and takes the bridge out again.
 *
 * <p>Internal: not part of the public API.
 */
public final class JulBridge implements AutoCloseable {
  private final List<Handler> removed;

  private JulBridge(List<Handler> removed) {
    this.removed = removed;
  }

  /** Installs the bridge, or returns {@code null} when one is installed already. */
  public static @Nullable JulBridge install() {
    synchronized (JulBridge.class) {
      if (SLF4JBridgeHandler.isInstalled()) {
        return null;
      }
      Logger root = LogManager.getLogManager().getLogger("");
      List<Handler> removed = new ArrayList<>();
      Handler[] handlers = root.getHandlers();
      if (jdkDefaultConfiguration()
          && handlers.length == 1
          && handlers[0].getClass() == ConsoleHandler.class) {
        root.removeHandler(handlers[0]);
        removed.add(handlers[0]);
      }
      SLF4JBridgeHandler.install();
      return new JulBridge(removed);
    }
  }

  private static boolean jdkDefaultConfiguration() {
    return System.getProperty("java.util.logging.config.file") == null
        && System.getProperty("java.util.logging.config.class") == null;
  }

  @Override
  public void close() {
    synchronized (JulBridge.class) {
      SLF4JBridgeHandler.uninstall();
      Logger root = LogManager.getLogManager().getLogger("");
      removed.forEach(root::addHandler);
    }
  }
}
