package io.ktrdr.telemetry.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps the span exporter so that a collector outage is reported once, not once per batch: a
 * warning when exports start failing, an info line when they succeed again. Spans lost to failed
 * exports are counted in {@code ktrdr_telemetry_spans_dropped_total{reason="export_failed"}}.
 *
 * <p>Internal: not part of the public API.
 */
public final class ReportingSpanExporter implements SpanExporter {
  private static final Logger logger = LoggerFactory.getLogger(ReportingSpanExporter.class);
  private static final Attributes EXPORT_FAILED =
      Attributes.of(AttributeKey.stringKey("reason"), "export_failed");

  private final SpanExporter delegate;
  private final Supplier<TelemetryErrors> errors;
  private final Supplier<Meter> meter;
  private volatile LongCounter dropped;
  private final AtomicBoolean failing = new AtomicBoolean();
  private final AtomicLong failedSpans = new AtomicLong();

  /**
   * The SDK builds the exporter before the meters exist, so the error sink and the meter are looked
   * up when first needed.
   */
  public ReportingSpanExporter(
      SpanExporter delegate, Supplier<TelemetryErrors> errors, Supplier<Meter> meter) {
    this.delegate = delegate;
    this.errors = errors;
    this.meter = meter;
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

  private LongCounter dropped() {
    LongCounter counter = dropped;
    if (counter == null) {
      Meter current = meter.get();
      if (current == null) {
        return null;
      }
      counter = droppedSpansCounter(current);
      dropped = counter;
    }
    return counter;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    CompletableResultCode result;
    try {
      result = delegate.export(spans);
    } catch (RuntimeException e) {
      onFailure(spans.size(), e);
      return CompletableResultCode.ofExceptionalFailure(e);
    }
    int count = spans.size();
    result.whenComplete(
        () -> {
          if (result.isSuccess()) {
            onSuccess();
          } else {
            onFailure(count, result.getFailureThrowable());
          }
        });
    return result;
  }

  private void onFailure(int spans, Throwable cause) {
    LongCounter counter = dropped();
    if (counter != null) {
      counter.add(spans, EXPORT_FAILED);
    }
    failedSpans.addAndGet(spans);
    TelemetryErrors sink = errors.get();
    if (sink != null) {
      sink.count(TelemetryErrors.SPAN_EXPORT);
    }
    if (failing.compareAndSet(false, true)) {
      logger.warn(
          "Exporting spans failed ({}); spans are dropped until the collector answers. This is"
              + " logged once per outage; ktrdr_telemetry_spans_dropped_total counts the spans.",
          cause == null ? "no cause given" : cause.toString());
    }
  }

  private void onSuccess() {
    if (failing.compareAndSet(true, false)) {
      logger.info(
          "Exporting spans works again; {} spans were dropped during the outage",
          failedSpans.getAndSet(0));
    }
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
    return "ReportingSpanExporter{" + delegate + "}";
  }
}
