package io.ktrdr.telemetry.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports the exports of one signal (spans, log records, metrics pushed over OTLP) the same way: a
 * warning when exports start failing, while they keep failing at most one line per {@link
 * TelemetryErrors#LOG_INTERVAL} with the count so far, an info line when an export succeeds again.
 * Every failed batch is counted in {@code
 * ktrdr_telemetry_errors_total{component="<signal>-export"}; spans lost to failed exports also in
 * {@code ktrdr_telemetry_spans_dropped_total}. The exporters it wraps never throw into the SDK and
 * never block longer than the delegate does.
 *
 * <p>Once {@link #closing()} was called and the collector is known to be down, exports fail at once
 * (the items are counted as dropped) so that {@code close()} does not wait for a collector that is
 * not there.
 *
 * <p>Internal: not part of the public API.
 */
public final class ExportReporter {
  private static final Logger logger = LoggerFactory.getLogger(ExportReporter.class);
  private static final Attributes EXPORT_FAILED =
      Attributes.of(AttributeKey.stringKey("reason"), "export_failed");

  private final String signal;
  private final String component;
  private final Supplier<@Nullable TelemetryErrors> errors;
  private final Supplier<@Nullable LongCounter> dropped;
  private final LongSupplier nanoTime;
  private final AtomicBoolean failing = new AtomicBoolean();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicLong failedBatches = new AtomicLong();
  private final AtomicLong failedItems = new AtomicLong();
  private final AtomicLong lastLogged = new AtomicLong();
  private final AtomicLong outageStart = new AtomicLong();

  ExportReporter(
      String signal,
      String component,
      Supplier<@Nullable TelemetryErrors> errors,
      Supplier<@Nullable LongCounter> dropped,
      LongSupplier nanoTime) {
    this.signal = signal;
    this.component = component;
    this.errors = errors;
    this.dropped = dropped;
    this.nanoTime = nanoTime;
  }

  /**
   * Creates {@code ktrdr.telemetry.spans.dropped} on {@code meter} with its series at zero, so that
   * alerts see 0 before the first failure. Creating it again returns the same instrument.
   */
  public static LongCounter droppedSpansCounter(Meter meter) {
    LongCounter counter =
        meter
            .counterBuilder("ktrdr.telemetry.spans.dropped")
            .setUnit("{span}")
            .setDescription("Spans that never reached the collector.")
            .build();
    counter.add(0, EXPORT_FAILED);
    return counter;
  }

  /** Reports span exports; {@code meter} is looked up when the first failure is counted. */
  public static ExportReporter spans(
      Supplier<@Nullable TelemetryErrors> errors, Supplier<@Nullable Meter> meter) {
    AtomicReferenceCounter counter = new AtomicReferenceCounter(meter);
    return new ExportReporter(
        "spans", TelemetryErrors.SPAN_EXPORT, errors, counter::get, System::nanoTime);
  }

  /** Reports log record exports. */
  public static ExportReporter logs(Supplier<@Nullable TelemetryErrors> errors) {
    return new ExportReporter(
        "log records", TelemetryErrors.LOG_EXPORT, errors, () -> null, System::nanoTime);
  }

  /** Reports metric pushes. */
  public static ExportReporter metrics(Supplier<@Nullable TelemetryErrors> errors) {
    return new ExportReporter(
        "metrics", TelemetryErrors.METRIC_EXPORT, errors, () -> null, System::nanoTime);
  }

  /** From now on, a known outage fails exports at once instead of trying again. */
  public void closing() {
    closing.set(true);
  }

  /** Whether the last export failed. */
  public boolean failing() {
    return failing.get();
  }

  /** Runs one export through the reporter. */
  CompletableResultCode export(int items, Supplier<CompletableResultCode> export) {
    if (closing.get() && failing.get()) {
      onFailure(items, null);
      return CompletableResultCode.ofFailure();
    }
    CompletableResultCode result;
    try {
      result = export.get();
    } catch (RuntimeException e) {
      onFailure(items, e);
      return CompletableResultCode.ofExceptionalFailure(e);
    }
    result.whenComplete(
        () -> {
          if (result.isSuccess()) {
            onSuccess();
          } else {
            onFailure(items, result.getFailureThrowable());
          }
        });
    return result;
  }

  private void onFailure(int items, @Nullable Throwable cause) {
    try {
      LongCounter counter = dropped.get();
      if (counter != null) {
        counter.add(items, EXPORT_FAILED);
      }
      TelemetryErrors sink = errors.get();
      if (sink != null) {
        sink.count(component);
      }
      long batches = failedBatches.incrementAndGet();
      long total = failedItems.addAndGet(items);
      long now = nanoTime.getAsLong();
      String reason = cause == null ? "no cause given" : cause.toString();
      if (failing.compareAndSet(false, true)) {
        outageStart.set(now);
        lastLogged.set(now);
        logger.warn(
            "Exporting {} failed ({}); they are dropped until the collector answers. Logged again"
                + " at most once a minute while it lasts; counted in"
                + " ktrdr_telemetry_errors_total{component=\"{}\"}.",
            signal,
            reason,
            component);
        return;
      }
      long last = lastLogged.get();
      if (now - last >= TelemetryErrors.LOG_INTERVAL.toNanos()
          && lastLogged.compareAndSet(last, now)) {
        logger.warn(
            "Exporting {} still fails after {} s: {} failed exports, {} items dropped; latest: {}",
            signal,
            Duration.ofNanos(now - outageStart.get()).toSeconds(),
            batches,
            total,
            reason);
      }
    } catch (RuntimeException ignored) {
      // Reporting must never throw.
    }
  }

  private void onSuccess() {
    if (failing.compareAndSet(true, false)) {
      logger.info(
          "Exporting {} works again after {} s; {} failed exports, {} items dropped during the"
              + " outage",
          signal,
          Duration.ofNanos(nanoTime.getAsLong() - outageStart.get()).toSeconds(),
          failedBatches.getAndSet(0),
          failedItems.getAndSet(0));
    }
  }

  /** Wraps a span exporter. */
  public SpanExporter wrap(SpanExporter delegate) {
    return new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        return ExportReporter.this.export(spans.size(), () -> delegate.export(spans));
      }

      @Override
      public CompletableResultCode flush() {
        return delegate.flush();
      }

      @Override
      public CompletableResultCode shutdown() {
        return delegate.shutdown();
      }

      @Override
      public String toString() {
        return "Reporting{" + delegate + "}";
      }
    };
  }

  /** Wraps a log record exporter. */
  public LogRecordExporter wrap(LogRecordExporter delegate) {
    return new LogRecordExporter() {
      @Override
      public CompletableResultCode export(Collection<LogRecordData> logs) {
        return ExportReporter.this.export(logs.size(), () -> delegate.export(logs));
      }

      @Override
      public CompletableResultCode flush() {
        return delegate.flush();
      }

      @Override
      public CompletableResultCode shutdown() {
        return delegate.shutdown();
      }

      @Override
      public String toString() {
        return "Reporting{" + delegate + "}";
      }
    };
  }

  /** Wraps a metric exporter, keeping its temporality and memory mode. */
  public MetricExporter wrap(MetricExporter delegate) {
    return new MetricExporter() {
      @Override
      public CompletableResultCode export(Collection<MetricData> metrics) {
        return ExportReporter.this.export(metrics.size(), () -> delegate.export(metrics));
      }

      @Override
      public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
        return delegate.getAggregationTemporality(instrumentType);
      }

      @Override
      public MemoryMode getMemoryMode() {
        return delegate.getMemoryMode();
      }

      @Override
      public CompletableResultCode flush() {
        return delegate.flush();
      }

      @Override
      public CompletableResultCode shutdown() {
        return delegate.shutdown();
      }

      @Override
      public String toString() {
        return "Reporting{" + delegate + "}";
      }
    };
  }

  /** The dropped-spans counter, created on first use (the SDK builds exporters before meters). */
  private static final class AtomicReferenceCounter {
    private final Supplier<@Nullable Meter> meter;
    private volatile @Nullable LongCounter counter;

    AtomicReferenceCounter(Supplier<@Nullable Meter> meter) {
      this.meter = meter;
    }

    @Nullable LongCounter get() {
      LongCounter current = counter;
      if (current == null) {
        Meter found = meter.get();
        if (found == null) {
          return null;
        }
        current = droppedSpansCounter(found);
        counter = current;
      }
      return current;
    }
  }
}
