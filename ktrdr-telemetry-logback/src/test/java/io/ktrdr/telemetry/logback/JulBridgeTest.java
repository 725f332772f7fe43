package io.ktrdr.telemetry.logback;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.KtrdrTelemetry;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** The JUL bridge is installed only on request and never removes the application's handlers. */
class JulBridgeTest {

  private static final class AppHandler extends Handler {
    @Override
    public void publish(LogRecord record) {}

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  @Test
  void installingKeepsTheApplicationsHandlerAndClosingRemovesTheBridge() {
    Logger root = LogManager.getLogManager().getLogger("");
    AppHandler mine = new AppHandler();
    root.addHandler(mine);
    try (KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("jul")
            .environment(Map.of())
            .shutdownHook(false)
            .build()) {
      assertThat(SLF4JBridgeHandler.isInstalled()).as("core alone installs nothing").isFalse();
      try (KtrdrLogback logging = KtrdrLogback.install(telemetry)) {
        assertThat(SLF4JBridgeHandler.isInstalled()).isTrue();
        assertThat(List.of(root.getHandlers())).contains(mine);
      }
      assertThat(SLF4JBridgeHandler.isInstalled()).isFalse();
      assertThat(List.of(root.getHandlers())).contains(mine);
    } finally {
      root.removeHandler(mine);
    }
  }
}
