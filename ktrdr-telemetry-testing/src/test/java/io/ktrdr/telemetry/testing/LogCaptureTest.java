package io.ktrdr.telemetry.testing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LogCaptureTest {
  private static final Logger logger = LoggerFactory.getLogger(LogCaptureTest.class);

  @Test
  void capturesWhileOpenAndDetachesOnClose() {
    LogCapture logs = LogCapture.of(LogCaptureTest.class);
    try (logs) {
      logger.warn("first {}", 1);
      logger.info("second");
    }
    logger.warn("after close");
    assertThat(logs.messages(Level.WARN)).containsExactly("first 1");
    assertThat(logs.events()).hasSize(2);
  }
}
