package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.ktrdr.telemetry.internal.http.HttpServerMetrics;
import io.ktrdr.telemetry.testing.LogCapture;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** "Logged at most once a minute" holds per component of one SDK, whichever part failed. */
class OneErrorReporterTest {

  @Test
  void theHttpMetricsOfAnSdkReportThroughItsOneReporter() {
    try (LogCapture log = LogCapture.of(TelemetryErrors.class);
        KtrdrTelemetry telemetry =
            KtrdrTelemetry.builder()
                .serviceName("errors")
                .environment(Map.of())
                .shutdownHook(false)
                .jvmMetrics(false)
                .build()) {
      telemetry
          .errors()
          .record(TelemetryErrors.HTTP_SERVER_METRICS, new IllegalStateException("first"));
      // An index out of range makes recording fail inside its guard, as a bug would.
      HttpServerMetrics.create(telemetry.openTelemetry()).requestStarted(-1, false);

      assertThat(telemetry.errors().failures(TelemetryErrors.HTTP_SERVER_METRICS)).isEqualTo(2);
      assertThat(log.messages(Level.WARN))
          .as("one first-failure line for the component, not one per object")
          .hasSize(1);
    }
  }
}
