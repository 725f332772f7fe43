package io.ktrdr.telemetry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.ktrdr.telemetry.testing.LogCapture;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One outage, as the log and the counters tell it, on a clock the test moves. */
class ExportReporterTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final SdkMeterProvider provider =
      SdkMeterProvider.builder().registerMetricReader(reader).build();
  private TelemetryErrors errors;
  private LongCounter dropped;
  private ExportReporter reporter;
  private LogCapture log;

  @BeforeEach
  void setUp() {
    errors = new TelemetryErrors(provider.get("test"), now::get);
    dropped = ExportReporter.droppedSpansCounter(provider.get("test"));
    reporter =
        new ExportReporter(
            "spans", TelemetryErrors.SPAN_EXPORT, () -> errors, () -> dropped, now::get);
    log = LogCapture.of(ExportReporter.class);
  }

  @AfterEach
  void tearDown() {
    log.close();
    provider.close();
  }

  private CompletableResultCode fail(int items) {
    return reporter.export(
        items, () -> CompletableResultCode.ofExceptionalFailure(new IOException("refused")));
  }

  private CompletableResultCode succeed(int items) {
    return reporter.export(items, CompletableResultCode::ofSuccess);
  }

  private long counter(String name) {
    return reader.collectAllMetrics().stream()
        .filter(m -> m.getName().equals(name))
        .map(MetricData::getLongSumData)
        .flatMap(d -> d.getPoints().stream())
        .mapToLong(LongPointData::getValue)
        .sum();
  }

  @Test
  void anOutageIsLoggedWhenItStartsOnceAMinuteWithCountsAndWhenItEnds() {
    assertThat(succeed(5).isSuccess()).isTrue();
    assertThat(log.events()).isEmpty();

    assertThat(fail(10).isSuccess()).isFalse();
    assertThat(reporter.failing()).isTrue();
    for (int i = 0; i < 5; i++) {
      now.addAndGet(Duration.ofSeconds(10).toNanos());
      fail(10);
    }
    assertThat(log.messages(Level.WARN))
        .singleElement()
        .asString()
        .startsWith("Exporting spans failed (java.io.IOException: refused)")
        .contains("ktrdr_telemetry_errors_total{component=\"span-export\"}");

    now.addAndGet(Duration.ofSeconds(10).toNanos()); // a minute after the first line
    fail(10);
    assertThat(log.messages(Level.WARN))
        .hasSize(2)
        .last()
        .asString()
        .isEqualTo(
            "Exporting spans still fails after 60 s: 7 failed exports, 70 items dropped; latest:"
                + " java.io.IOException: refused");

    now.addAndGet(Duration.ofSeconds(5).toNanos());
    succeed(3);
    assertThat(reporter.failing()).isFalse();
    assertThat(log.messages(Level.INFO))
        .containsExactly(
            "Exporting spans works again after 65 s; 7 failed exports, 70 items dropped during the"
                + " outage");
    assertThat(errors.failures(TelemetryErrors.SPAN_EXPORT)).isEqualTo(7);
    assertThat(counter("ktrdr.telemetry.spans.dropped")).isEqualTo(70);

    fail(1); // a new outage is reported again, with fresh counts
    assertThat(log.messages(Level.WARN)).hasSize(3);
    succeed(1);
    assertThat(log.messages(Level.INFO))
        .last()
        .asString()
        .isEqualTo(
            "Exporting spans works again after 0 s; 1 failed exports, 1 items dropped during the"
                + " outage");
  }

  @Test
  void anExporterThatThrowsIsAFailureNotAnException() {
    CompletableResultCode result =
        reporter.export(
            4,
            () -> {
              throw new IllegalStateException("broken exporter");
            });
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.getFailureThrowable()).hasMessage("broken exporter");
    assertThat(errors.failures(TelemetryErrors.SPAN_EXPORT)).isEqualTo(1);
    assertThat(counter("ktrdr.telemetry.spans.dropped")).isEqualTo(4);
  }

  @Test
  void whileClosingAKnownOutageIsNotWaitedFor() {
    fail(2);
    reporter.closing();
    CompletableResultCode result =
        reporter.export(
            3,
            () -> {
              throw new AssertionError("must not try the collector again");
            });
    assertThat(result.isDone()).isTrue();
    assertThat(result.isSuccess()).isFalse();
    assertThat(counter("ktrdr.telemetry.spans.dropped")).isEqualTo(5);
  }

  @Test
  void whileClosingAHealthyCollectorIsStillTried() {
    succeed(1);
    reporter.closing();
    assertThat(succeed(2).isSuccess()).isTrue();
  }

  @Test
  void anExportStillRunningIsReportedWhenItCompletes() {
    CompletableResultCode pending = new CompletableResultCode();
    CompletableResultCode result = reporter.export(6, () -> pending);
    assertThat(result).isSameAs(pending);
    assertThat(reporter.failing()).isFalse();
    pending.fail();
    assertThat(reporter.failing()).isTrue();
    assertThat(log.messages(Level.WARN))
        .singleElement()
        .asString()
        .startsWith("Exporting spans failed (no cause given)");
  }

  @Test
  void theWrappersDelegateEverythingAndReport() {
    io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter spans =
        io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
    io.opentelemetry.sdk.trace.export.SpanExporter span = reporter.wrap(spans);
    assertThat(span.export(java.util.List.of()).isSuccess()).isTrue();
    assertThat(span.flush().isSuccess()).isTrue();
    assertThat(span.toString()).contains("InMemorySpanExporter");
    assertThat(span.shutdown().isSuccess()).isTrue();
    // A stopped in-memory exporter fails: reported as an outage.
    assertThat(span.export(java.util.List.of()).isSuccess()).isFalse();
    assertThat(reporter.failing()).isTrue();

    ExportReporter logReporter = ExportReporter.logs(() -> errors);
    io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter logs =
        io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter.create();
    io.opentelemetry.sdk.logs.export.LogRecordExporter log = logReporter.wrap(logs);
    assertThat(log.export(java.util.List.of()).isSuccess()).isTrue();
    assertThat(log.flush().isSuccess()).isTrue();
    assertThat(log.toString()).contains("InMemoryLogRecordExporter");
    assertThat(log.shutdown().isSuccess()).isTrue();
    assertThat(log.export(java.util.List.of()).isSuccess()).isFalse();
    assertThat(errors.failures(TelemetryErrors.LOG_EXPORT)).isEqualTo(1);

    ExportReporter metricReporter = ExportReporter.metrics(() -> errors);
    io.opentelemetry.sdk.testing.exporter.InMemoryMetricExporter metrics =
        io.opentelemetry.sdk.testing.exporter.InMemoryMetricExporter.create(
            io.opentelemetry.sdk.metrics.data.AggregationTemporality.DELTA);
    io.opentelemetry.sdk.metrics.export.MetricExporter metric = metricReporter.wrap(metrics);
    assertThat(metric.export(java.util.List.of()).isSuccess()).isTrue();
    assertThat(
            metric.getAggregationTemporality(io.opentelemetry.sdk.metrics.InstrumentType.COUNTER))
        .isEqualTo(io.opentelemetry.sdk.metrics.data.AggregationTemporality.DELTA);
    assertThat(metric.getMemoryMode()).isEqualTo(metrics.getMemoryMode());
    assertThat(metric.flush().isSuccess()).isTrue();
    assertThat(metric.toString()).contains("InMemoryMetricExporter");
    assertThat(metric.shutdown().isSuccess()).isTrue();
    assertThat(metric.export(java.util.List.of()).isSuccess()).isFalse();
    assertThat(errors.failures(TelemetryErrors.METRIC_EXPORT)).isEqualTo(1);
  }

  @Test
  void theDroppedSpansCounterIsCreatedOnceTheMeterExists() {
    java.util.concurrent.atomic.AtomicReference<io.opentelemetry.api.metrics.Meter> meter =
        new java.util.concurrent.atomic.AtomicReference<>();
    ExportReporter spans = ExportReporter.spans(() -> errors, meter::get);
    spans.export(2, CompletableResultCode::ofFailure);
    assertThat(counter("ktrdr.telemetry.spans.dropped")).isZero();
    meter.set(provider.get("late"));
    spans.export(3, CompletableResultCode::ofFailure);
    spans.export(4, CompletableResultCode::ofFailure);
    assertThat(counter("ktrdr.telemetry.spans.dropped")).isEqualTo(7);
  }

  @Test
  void withoutMetersYetFailuresAreStillLogged() {
    ExportReporter early =
        new ExportReporter(
            "log records", TelemetryErrors.LOG_EXPORT, () -> null, () -> null, now::get);
    early.export(1, CompletableResultCode::ofFailure);
    assertThat(early.failing()).isTrue();
    assertThat(log.messages(Level.WARN))
        .singleElement()
        .asString()
        .startsWith("Exporting log records failed");
  }
}
