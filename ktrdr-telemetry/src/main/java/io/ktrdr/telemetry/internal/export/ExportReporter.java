package io.ktrdr.telemetry.internal.export;

import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports the exports of one signal (spans, log records, metric points pushed over OTLP) the same
 * way: a warning when exports start failing, while they keep failing at most one line per {@link
 * TelemetryErrors#LOG_INTERVAL} with the count so far, an info line when an export succeeds again
 * that gives every item dropped during the outage, whatever the reason. Every failed batch is
 * counted in {@code ktrdr_telemetry_errors_total{component="<signal>-export"}}; every item lost, by
 * the exporter or by the batch processor in front of it, in {@code
 * ktrdr_telemetry_dropped_total{signal, reason}}:
 *
 * <ul>
 *   <li>{@code queue_full}: the batch processor's queue was full ({@link #queueFull}, seen through
 *       {@link BatchProcessors});
 *   <li>{@code timeout}: the export did not complete within {@code OTEL_EXPORTER_OTLP_TIMEOUT};
 *   <li>{@code invalid_response}: the collector answered 2xx with a body that is not an OTLP
 *       response ({@link OtlpResponseCheck});
 *   <li>{@code rejected}: the collector accepted the request but rejected items (OTLP partial
 *       success);
 *   <li>{@code export_failed}: any other failure (refused connection, HTTP 429/503 after the
 *       retries, an exporter that throws).
 * </ul>
 *
 * <p>The exporters it wraps never throw into the SDK and never block longer than the delegate does.
 * Once {@link #closing()} was called and the collector is known to be down, exports fail at once
 * (the items are counted as dropped) so that {@code close()} does not wait for a collector that is
 * not there.
 *
 * <p>Internal: not part of the public API.
 */
public final class ExportReporter {
  private static final Logger logger = LoggerFactory.getLogger(ExportReporter.class);
  private static final AttributeKey<String> SIGNAL = AttributeKey.stringKey("signal");
  private static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");

  /** The batch processor's queue was full. */
  public static final String QUEUE_FULL = "queue_full";

  /** The export failed (refused, HTTP error status after retries, exporter threw). */
  public static final String EXPORT_FAILED = "export_failed";

  /** The export timed out. */
  public static final String TIMEOUT = "timeout";

  /** The collector answered 2xx with a body that is not an OTLP response. */
  public static final String INVALID_RESPONSE = "invalid_response";

  /** The collector rejected items in an OTLP partial success. */
  public static final String REJECTED = "rejected";

  private static final String[] EXPORT_REASONS = {
    EXPORT_FAILED, TIMEOUT, INVALID_RESPONSE, REJECTED
  };

  private final String signal;
  private final String label;
  private final String component;
  private final Supplier<@Nullable TelemetryErrors> errors;
  private final Supplier<@Nullable LongCounter> dropped;
  private final LongSupplier nanoTime;
  private final Map<String, Attributes> reasons = new ConcurrentHashMap<>();
  private final AtomicBoolean failing = new AtomicBoolean();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicBoolean handingOver = new AtomicBoolean();
  private final AtomicLong failedBatches = new AtomicLong();
  private final AtomicLong failedItems = new AtomicLong();
  private final AtomicLong queueFullItems = new AtomicLong();
  private final AtomicLong rejectedItems = new AtomicLong();
  private final AtomicLong lastLogged = new AtomicLong();
  private final AtomicLong outageStart = new AtomicLong();
  private final AtomicLong queueFullLastLogged = new AtomicLong(Long.MIN_VALUE);

  ExportReporter(
      String signal,
      String label,
      String component,
      Supplier<@Nullable TelemetryErrors> errors,
      Supplier<@Nullable LongCounter> dropped,
      LongSupplier nanoTime) {
    this.signal = signal;
    this.label = label;
    this.component = component;
    this.errors = errors;
    this.dropped = dropped;
    this.nanoTime = nanoTime;
  }

  /** The attributes of {@code ktrdr.telemetry.dropped} for {@code signal} and {@code reason}. */
  public static Attributes dropReason(String signal, String reason) {
    return Attributes.of(SIGNAL, signal, REASON, reason);
  }

  /**
   * Creates {@code ktrdr.telemetry.dropped} on {@code meter} with the series of every signal and
   * export reason at zero, so that alerts see 0 before the first loss. Creating it again returns
   * the same instrument.
   */
  public static LongCounter droppedCounter(Meter meter) {
    LongCounter counter =
        meter
            .counterBuilder("ktrdr.telemetry.dropped")
            .setUnit("{item}")
            .setDescription(
                "Spans, log records and metric points that never reached the collector, by"
                    + " signal and reason.")
            .build();
    for (String signal : new String[] {"spans", "logs", "metrics"}) {
      for (String reason : EXPORT_REASONS) {
        counter.add(0, dropReason(signal, reason));
      }
      if (!signal.equals("metrics")) {
        counter.add(0, dropReason(signal, QUEUE_FULL));
      }
    }
    return counter;
  }

  /** Reports span exports; {@code meter} is looked up when the first loss is counted. */
  public static ExportReporter spans(
      Supplier<@Nullable TelemetryErrors> errors, Supplier<@Nullable Meter> meter) {
    return create("spans", "spans", TelemetryErrors.SPAN_EXPORT, errors, meter);
  }

  /** Reports log record exports. */
  public static ExportReporter logs(
      Supplier<@Nullable TelemetryErrors> errors, Supplier<@Nullable Meter> meter) {
    return create("log records", "logs", TelemetryErrors.LOG_EXPORT, errors, meter);
  }

  /** Reports metric pushes; the items are metric points. */
  public static ExportReporter metrics(
      Supplier<@Nullable TelemetryErrors> errors, Supplier<@Nullable Meter> meter) {
    return create("metrics", "metrics", TelemetryErrors.METRIC_EXPORT, errors, meter);
  }

  private static ExportReporter create(
      String signal,
      String label,
      String component,
      Supplier<@Nullable TelemetryErrors> errors,
      Supplier<@Nullable Meter> meter) {
    return new ExportReporter(
        signal, label, component, errors, new LazyCounter(meter)::get, System::nanoTime);
  }

  /** From now on, a known outage fails exports at once instead of trying again. */
  public void closing() {
    closing.set(true);
  }

  /**
   * OpenTelemetry's default retry policy, except that once {@link #closing()} was called a failed
   * connection is not tried again: at exit, a collector that refuses connections would otherwise
   * hold the process for the exporter's whole timeout (10 s by default) of backed-off retries.
   */
  public RetryPolicy retryPolicy() {
    return RetryPolicy.getDefault().toBuilder()
        .setRetryExceptionPredicate(e -> !closing.get() && retryable(e))
        .build();
  }

  /**
   * What OpenTelemetry's OTLP/HTTP exporter (its OkHttp sender) retries by default: a socket
   * timeout, a refused or reset connection, an unknown host. A copy, because OpenTelemetry has no
   * public API for its default predicate ({@link RetryPolicy#getRetryExceptionPredicate()} is null
   * for the default and the sender's own lies in an internal package); {@code ExportRetryPinTest}
   * compares the two, so an upgrade that changes OpenTelemetry's fails the build.
   */
  static boolean retryable(IOException e) {
    return e instanceof SocketTimeoutException
        || e instanceof SocketException
        || e instanceof UnknownHostException;
  }

  /** Whether the last export failed. */
  public boolean failing() {
    return failing.get();
  }

  /**
   * Runs {@code shutdown} (the shutdown of a batch processor being replaced) while the wrapped
   * exporters ignore {@code shutdown()}: the processor that replaces it uses the same exporters.
   */
  void handOver(Runnable shutdown) {
    handingOver.set(true);
    try {
      shutdown.run();
    } finally {
      handingOver.set(false);
    }
  }

  /** What a wrapped exporter's {@code shutdown()} does: nothing while handing over. */
  private CompletableResultCode shutdown(Supplier<CompletableResultCode> delegate) {
    return handingOver.get() ? CompletableResultCode.ofSuccess() : delegate.get();
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

  /** Why an export failed, as a {@code reason} of {@code ktrdr.telemetry.dropped}. */
  static String reason(@Nullable Throwable cause) {
    Throwable current = cause;
    for (int depth = 0; current != null && depth < 8; depth++) {
      if (current instanceof OtlpResponseCheck.InvalidResponseException) {
        return INVALID_RESPONSE;
      }
      if (current instanceof InterruptedIOException || current instanceof TimeoutException) {
        return TIMEOUT;
      }
      current = current.getCause();
    }
    return EXPORT_FAILED;
  }

  private void count(long items, String reason) {
    LongCounter counter = dropped.get();
    if (counter != null && items > 0) {
      counter.add(items, reasons.computeIfAbsent(reason, r -> dropReason(label, r)));
    }
  }

  /**
   * Counts {@code items} the batch processor dropped because its queue was full (on the thread that
   * ended the span, so nothing is logged here). Each drop is reported in exactly one log line, when
   * the next export completes: the outage's when exports fail (the "works again" line gives the
   * total), otherwise a line of its own, at most once a minute. Never throws.
   */
  void queueFull(long items) {
    try {
      count(items, QUEUE_FULL);
      queueFullItems.addAndGet(items);
    } catch (RuntimeException ignored) {
      // Reporting must never throw.
    }
  }

  /** Counts {@code items} the collector rejected in an OTLP partial success. Never throws. */
  void rejected(long items) {
    try {
      count(items, REJECTED);
      rejectedItems.addAndGet(items);
    } catch (RuntimeException ignored) {
      // Reporting must never throw.
    }
  }

  private long droppedInOutage() {
    return failedItems.get() + queueFullItems.get() + rejectedItems.get();
  }

  private void onFailure(int items, @Nullable Throwable cause) {
    try {
      count(items, reason(cause));
      TelemetryErrors sink = errors.get();
      if (sink != null) {
        sink.count(component);
      }
      long batches = failedBatches.incrementAndGet();
      failedItems.addAndGet(items);
      long now = nanoTime.getAsLong();
      String reason = cause == null ? "no cause given" : cause.toString();
      if (failing.compareAndSet(false, true)) {
        outageStart.set(now);
        lastLogged.set(now);
        logger.warn(
            "Exporting {} failed ({}); they are dropped until the collector answers. Logged again"
                + " at most once a minute while it lasts; counted in"
                + " ktrdr_telemetry_errors_total{component=\"{}\"} and"
                + " ktrdr_telemetry_dropped_total{signal=\"{}\"}.",
            signal,
            reason,
            component,
            label);
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
            droppedInOutage(),
            reason);
      }
    } catch (RuntimeException ignored) {
      // Reporting must never throw.
    }
  }

  private void onSuccess() {
    if (failing.compareAndSet(true, false)) {
      long failed = failedItems.getAndSet(0);
      long queueFull = queueFullItems.getAndSet(0);
      long rejected = rejectedItems.getAndSet(0);
      logger.info(
          "Exporting {} works again after {} s; {} failed exports, {} items dropped during the"
              + " outage ({} in failed exports, {} for a full queue, {} rejected)",
          signal,
          Duration.ofNanos(nanoTime.getAsLong() - outageStart.get()).toSeconds(),
          failedBatches.getAndSet(0),
          failed + queueFull + rejected,
          failed,
          queueFull,
          rejected);
      return;
    }
    if (queueFullItems.get() == 0) {
      return;
    }
    long now = nanoTime.getAsLong();
    long last = queueFullLastLogged.get();
    if ((last == Long.MIN_VALUE || now - last >= TelemetryErrors.LOG_INTERVAL.toNanos())
        && queueFullLastLogged.compareAndSet(last, now)) {
      logger.warn(
          "Dropped {} {} because the batch processor's queue was full (more than the collector"
              + " takes); counted in ktrdr_telemetry_dropped_total{signal=\"{}\","
              + " reason=\"queue_full\"}, logged at most once a minute",
          queueFullItems.getAndSet(0),
          signal,
          label);
    }
  }

  /** Metric points in {@code metrics}: what a failed push loses. */
  static int points(Collection<MetricData> metrics) {
    int points = 0;
    for (MetricData metric : metrics) {
      points += metric.getData().getPoints().size();
    }
    return points;
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
        return ExportReporter.this.shutdown(delegate::shutdown);
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
        return ExportReporter.this.shutdown(delegate::shutdown);
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
        return ExportReporter.this.export(points(metrics), () -> delegate.export(metrics));
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
        return ExportReporter.this.shutdown(delegate::shutdown);
      }

      @Override
      public String toString() {
        return "Reporting{" + delegate + "}";
      }
    };
  }

  /** The dropped counter, created on first use (the SDK builds exporters before meters). */
  private static final class LazyCounter {
    private final Supplier<@Nullable Meter> meter;
    private volatile @Nullable LongCounter counter;

    LazyCounter(Supplier<@Nullable Meter> meter) {
      this.meter = meter;
    }

    @Nullable LongCounter get() {
      LongCounter current = counter;
      if (current == null) {
        Meter found = meter.get();
        if (found == null) {
          return null;
        }
        current = droppedCounter(found);
        counter = current;
      }
      return current;
    }
  }
}
