package io.ktrdr.telemetry.internal.errors;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.ktrdr.telemetry.testing.LogCapture;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TelemetryErrorsTest {

  @Test
  void failuresAreCountedAlwaysAndLoggedFirstThenOnceAMinuteWithACount() {
    AtomicLong now = new AtomicLong(5);
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    try (SdkMeterProvider provider =
            SdkMeterProvider.builder().registerMetricReader(reader).build();
        LogCapture log = LogCapture.of(TelemetryErrors.class)) {
      TelemetryErrors errors = new TelemetryErrors(provider.get("test"), now::get);

      Map<String, Long> atStart = counts(reader);
      assertThat(atStart)
          .containsOnlyKeys(
              "http-server-metrics",
              "metrics-scrape",
              "span-export",
              "log-export",
              "metric-export",
              "operations")
          .allSatisfy((component, count) -> assertThat(count).isZero());

      IllegalStateException boom = new IllegalStateException("boom");
      errors.record("operations", boom);
      errors.record("operations", boom);
      now.addAndGet(Duration.ofSeconds(59).toNanos());
      errors.record("operations", boom);
      assertThat(log.events()).hasSize(1);
      ILoggingEvent first = log.events().get(0);
      assertThat(first.getLevel()).isEqualTo(Level.WARN);
      assertThat(first.getFormattedMessage()).startsWith("Telemetry component 'operations' failed");
      assertThat(first.getThrowableProxy().getMessage()).isEqualTo("boom");

      now.addAndGet(Duration.ofSeconds(1).toNanos());
      errors.record("operations", boom);
      assertThat(log.messages(Level.WARN))
          .last()
          .asString()
          .isEqualTo(
              "Telemetry component 'operations' is still failing: 3 more failures since the last"
                  + " report; latest: java.lang.IllegalStateException: boom");
      errors.record("metrics-scrape", null);
      assertThat(log.events()).hasSize(3);

      errors.count("span-export");
      assertThat(log.events()).hasSize(3);
      assertThat(errors.failures("operations")).isEqualTo(4);
      assertThat(errors.failures("span-export")).isEqualTo(1);
      assertThat(errors.failures("never")).isZero();
      assertThat(counts(reader))
          .containsEntry("operations", 4L)
          .containsEntry("metrics-scrape", 1L)
          .containsEntry("span-export", 1L);
    }
  }

  private static Map<String, Long> counts(InMemoryMetricReader reader) {
    return reader.collectAllMetrics().stream()
        .filter(m -> m.getName().equals("ktrdr.telemetry.errors"))
        .flatMap(m -> m.getLongSumData().getPoints().stream())
        .collect(
            Collectors.toMap(
                p -> p.getAttributes().asMap().values().iterator().next().toString(),
                LongPointData::getValue));
  }
}
