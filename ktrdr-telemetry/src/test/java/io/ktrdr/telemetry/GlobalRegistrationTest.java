package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code registerGlobal(true)} after a failed build and after close(). */
class GlobalRegistrationTest {

  // GlobalOpenTelemetry is JVM-wide: start and leave each test with it unset.
  @BeforeEach
  @AfterEach
  void unsetGlobal() {
    GlobalOpenTelemetry.resetForTest();
  }

  private static KtrdrTelemetryBuilder global() {
    return KtrdrTelemetry.builder()
        .serviceName("global")
        .environment(Map.of())
        .shutdownHook(false)
        .jvmMetrics(false)
        .registerGlobal(true);
  }

  /** Whether a span started through {@code GlobalOpenTelemetry} records. */
  private static boolean globalRecords() {
    Span span = GlobalOpenTelemetry.getTracer("probe").spanBuilder("probe").startSpan();
    try {
      return span.isRecording();
    } finally {
      span.end();
    }
  }

  @Test
  void setupAfterAFailedSetupRegisters() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(
              () ->
                  global()
                      .metricsServerHost("127.0.0.1")
                      .metricsServerPort(taken.getLocalPort())
                      .build())
          .isInstanceOf(UncheckedIOException.class);
    }
    assertThat(GlobalOpenTelemetry.isSet()).as("a failed build registers nothing").isFalse();

    try (KtrdrTelemetry telemetry = global().build()) {
      assertThat(globalRecords()).isTrue();
    }
  }

  @Test
  void setupAfterCloseRegistersAgainAndCloseLeavesANoop() {
    try (KtrdrTelemetry first = global().build()) {
      assertThat(globalRecords()).isTrue();
    }
    assertThat(globalRecords()).as("after close() the global records nothing").isFalse();

    try (KtrdrTelemetry second = global().build()) {
      assertThat(globalRecords()).isTrue();
    }
    assertThat(globalRecords()).isFalse();
  }

  @Test
  void aSecondOpenInstanceCannotTakeThePlaceAndLeavesTheFirstRegistered() {
    try (KtrdrTelemetry first = global().build()) {
      assertThatThrownBy(() -> global().build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "registerGlobal(true): another KtrdrTelemetry is registered as GlobalOpenTelemetry;"
                  + " close it first");
      assertThat(globalRecords()).as("the first one is still the global one").isTrue();
    }
  }
}
