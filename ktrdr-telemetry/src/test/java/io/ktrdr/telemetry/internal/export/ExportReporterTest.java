package io.ktrdr.telemetry.internal.export;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
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
    dropped = ExportReporter.droppedCounter(provider.get("test"));
    reporter =
        new ExportReporter(
            "spans", "spans", TelemetryErrors.SPAN_EXPORT, () -> errors, () -> dropped, now::get);
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

  /** {@code ktrdr.telemetry.dropped{signal, reason}}. */
  private long dropped(String signal, String reason) {
    return reader.collectAllMetrics().stream()
        .filter(m -> m.getName().equals("ktrdr.telemetry.dropped"))
        .map(MetricData::getLongSumData)
        .flatMap(d -> d.getPoints().stream())
        .filter(p -> p.getAttributes().equals(ExportReporter.dropReason(signal, reason)))
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
                + " outage (70 in failed exports, 0 for a full queue, 0 rejected)");
    assertThat(errors.failures(TelemetryErrors.SPAN_EXPORT)).isEqualTo(7);
    assertThat(counter("ktrdr.telemetry.dropped")).isEqualTo(70);

    fail(1); // a new outage is reported again, with fresh counts
    assertThat(log.messages(Level.WARN)).hasSize(3);
    succeed(1);
    assertThat(log.messages(Level.INFO))
        .last()
        .asString()
        .isEqualTo(
            "Exporting spans works again after 0 s; 1 failed exports, 1 items dropped during the"
                + " outage (1 in failed exports, 0 for a full queue, 0 rejected)");
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
    assertThat(counter("ktrdr.telemetry.dropped")).isEqualTo(4);
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
    assertThat(counter("ktrdr.telemetry.dropped")).isEqualTo(5);
  }

  @Test
  void refusedConnectionsAndTimeoutsAreRetriedUntilClosing() {
    java.util.function.Predicate<IOException> retry =
        reporter.retryPolicy().getRetryExceptionPredicate();
    assertThat(retry.test(new java.net.ConnectException("refused"))).isTrue();
    assertThat(retry.test(new java.net.SocketTimeoutException("read"))).isTrue();
    assertThat(retry.test(new java.net.SocketException("Connection reset"))).isTrue();
    assertThat(retry.test(new java.io.InterruptedIOException("timeout"))).isFalse();
    assertThat(retry.test(new IOException("unexpected end of stream"))).isFalse();
    assertThat(retry.test(new IOException())).isFalse();
    assertThat(reporter.retryPolicy().getMaxAttempts())
        .isEqualTo(io.opentelemetry.sdk.common.export.RetryPolicy.getDefault().getMaxAttempts());

    reporter.closing();
    assertThat(retry.test(new java.net.ConnectException("refused"))).isFalse();
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

    ExportReporter logReporter = ExportReporter.logs(() -> errors, () -> null);
    io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter logs =
        io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter.create();
    io.opentelemetry.sdk.logs.export.LogRecordExporter log = logReporter.wrap(logs);
    assertThat(log.export(java.util.List.of()).isSuccess()).isTrue();
    assertThat(log.flush().isSuccess()).isTrue();
    assertThat(log.toString()).contains("InMemoryLogRecordExporter");
    assertThat(log.shutdown().isSuccess()).isTrue();
    assertThat(log.export(java.util.List.of()).isSuccess()).isFalse();
    assertThat(errors.failures(TelemetryErrors.LOG_EXPORT)).isEqualTo(1);

    ExportReporter metricReporter = ExportReporter.metrics(() -> errors, () -> null);
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
  void theDroppedCounterIsCreatedOnceTheMeterExists() {
    java.util.concurrent.atomic.AtomicReference<io.opentelemetry.api.metrics.Meter> meter =
        new java.util.concurrent.atomic.AtomicReference<>();
    ExportReporter spans = ExportReporter.spans(() -> errors, meter::get);
    spans.export(2, CompletableResultCode::ofFailure);
    assertThat(counter("ktrdr.telemetry.dropped")).isZero();
    meter.set(provider.get("late"));
    spans.export(3, CompletableResultCode::ofFailure);
    spans.export(4, CompletableResultCode::ofFailure);
    assertThat(counter("ktrdr.telemetry.dropped")).isEqualTo(7);
  }

  @Test
  void withoutMetersYetFailuresAreStillLogged() {
    ExportReporter early =
        new ExportReporter(
            "log records", "logs", TelemetryErrors.LOG_EXPORT, () -> null, () -> null, now::get);
    early.export(1, CompletableResultCode::ofFailure);
    assertThat(early.failing()).isTrue();
    assertThat(log.messages(Level.WARN))
        .singleElement()
        .asString()
        .startsWith("Exporting log records failed");
  }

  @Test
  void queueFullDropsDuringAnOutageArePartOfTheTotalTheRecoveryLineGives() {
    fail(10);
    reporter.queueFull(500);
    reporter.queueFull(25);
    reporter.rejected(3);
    now.addAndGet(Duration.ofSeconds(2).toNanos());
    succeed(1);
    assertThat(log.messages(Level.INFO))
        .containsExactly(
            "Exporting spans works again after 2 s; 1 failed exports, 538 items dropped during the"
                + " outage (10 in failed exports, 525 for a full queue, 3 rejected)");
    assertThat(dropped("spans", "queue_full")).isEqualTo(525);
    assertThat(dropped("spans", "export_failed")).isEqualTo(10);
    assertThat(dropped("spans", "rejected")).isEqualTo(3);
    assertThat(counter("ktrdr.telemetry.dropped")).isEqualTo(538);
  }

  @Test
  void queueFullDropsWithoutAnOutageAreLoggedAfterTheNextExportOnceAMinute() {
    reporter.queueFull(1);
    reporter.queueFull(40);
    assertThat(log.events()).isEmpty(); // never on the application's thread
    succeed(16);
    now.addAndGet(Duration.ofSeconds(30).toNanos());
    reporter.queueFull(9);
    succeed(16);
    assertThat(log.messages(Level.WARN))
        .containsExactly(
            "Dropped 41 spans because the batch processor's queue was full (more than the"
                + " collector takes); counted in ktrdr_telemetry_dropped_total{signal=\"spans\","
                + " reason=\"queue_full\"}, logged at most once a minute");
    now.addAndGet(Duration.ofSeconds(30).toNanos());
    reporter.queueFull(50);
    succeed(16);
    assertThat(log.messages(Level.WARN))
        .hasSize(2)
        .last()
        .asString()
        .startsWith("Dropped 59 spans");
    assertThat(dropped("spans", "queue_full")).isEqualTo(100);
  }

  @Test
  void queueFullDropsBeforeTheFirstFailureArePartOfTheOutage() {
    reporter.queueFull(7);
    fail(2);
    succeed(1);
    assertThat(log.messages(Level.WARN))
        .singleElement()
        .asString()
        .startsWith("Exporting spans failed");
    assertThat(log.messages(Level.INFO))
        .singleElement()
        .asString()
        .endsWith(
            "9 items dropped during the outage (2 in failed exports, 7 for a full queue, 0"
                + " rejected)");
  }

  @Test
  void eachFailureIsCountedWithItsReason() {
    reporter.export(
        2,
        () ->
            CompletableResultCode.ofExceptionalFailure(
                new RuntimeException(new java.io.InterruptedIOException("timeout"))));
    reporter.export(
        3,
        () ->
            CompletableResultCode.ofExceptionalFailure(
                new IllegalStateException(
                    new OtlpResponseCheck.InvalidResponseException(200, 12))));
    reporter.export(
        4, () -> CompletableResultCode.ofExceptionalFailure(new java.net.SocketTimeoutException()));
    reporter.export(5, CompletableResultCode::ofFailure);
    assertThat(dropped("spans", "timeout")).isEqualTo(6);
    assertThat(dropped("spans", "invalid_response")).isEqualTo(3);
    assertThat(dropped("spans", "export_failed")).isEqualTo(5);
    // Every series exists at zero before anything is lost.
    assertThat(dropped("logs", "queue_full")).isZero();
    assertThat(
            reader.collectAllMetrics().stream()
                .filter(m -> m.getName().equals("ktrdr.telemetry.dropped"))
                .flatMap(m -> m.getLongSumData().getPoints().stream())
                .map(LongPointData::getAttributes))
        .contains(
            ExportReporter.dropReason("metrics", "invalid_response"),
            ExportReporter.dropReason("logs", "queue_full"),
            ExportReporter.dropReason("spans", "timeout"));
  }

  @Test
  void aFailedMetricPushCountsItsPoints() {
    LongCounter points = ExportReporter.droppedCounter(provider.get("test"));
    ExportReporter metricReporter =
        new ExportReporter(
            "metrics",
            "metrics",
            TelemetryErrors.METRIC_EXPORT,
            () -> errors,
            () -> points,
            now::get);
    io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader source =
        io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader.create();
    try (SdkMeterProvider meters =
        SdkMeterProvider.builder().registerMetricReader(source).build()) {
      LongCounter counter = meters.get("app").counterBuilder("c").build();
      for (int i = 0; i < 3; i++) {
        counter.add(
            1,
            io.opentelemetry.api.common.Attributes.of(
                io.opentelemetry.api.common.AttributeKey.longKey("i"), (long) i));
      }
      meters.get("app").counterBuilder("d").build().add(1);
      java.util.Collection<MetricData> batch = source.collectAllMetrics();
      assertThat(batch).hasSize(2);
      io.opentelemetry.sdk.metrics.export.MetricExporter failing =
          metricReporter.wrap(
              new io.opentelemetry.sdk.metrics.export.MetricExporter() {
                @Override
                public CompletableResultCode export(java.util.Collection<MetricData> metrics) {
                  return CompletableResultCode.ofFailure();
                }

                @Override
                public CompletableResultCode flush() {
                  return CompletableResultCode.ofSuccess();
                }

                @Override
                public CompletableResultCode shutdown() {
                  return CompletableResultCode.ofSuccess();
                }

                @Override
                public io.opentelemetry.sdk.metrics.data.AggregationTemporality
                    getAggregationTemporality(
                        io.opentelemetry.sdk.metrics.InstrumentType instrumentType) {
                  return io.opentelemetry.sdk.metrics.data.AggregationTemporality.CUMULATIVE;
                }
              });
      failing.export(batch);
    }
    assertThat(dropped("metrics", "export_failed")).isEqualTo(4);
  }
}
