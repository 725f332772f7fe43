package io.ktrdr.telemetry.operations;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * One long-running operation in progress (a data load, a training, a backtest): its span, its
 * logging context and its metrics. Obtain one from {@link OperationTracker#start}; end it exactly
 * once with {@link #complete()}, {@link #fail(Throwable)} or {@link #cancel()} (later calls are
 * ignored). Use {@link #makeCurrent()} on each thread that works for it.
 */
public final class Operation {
  /** The MDC key that carries the operation id in log lines. */
  public static final String MDC_KEY = "operation_id";

  static final AttributeKey<Double> PROGRESS = AttributeKey.doubleKey("operation.progress");
  static final AttributeKey<String> MESSAGE = AttributeKey.stringKey("operation.message");

  private final OperationTracker tracker;
  private final String type;
  private final String id;
  private final Span span;
  private final Context context;
  private final long startNanos;
  private final AtomicBoolean ended = new AtomicBoolean();

  Operation(OperationTracker tracker, String type, String id, Span span, long startNanos) {
    this.tracker = tracker;
    this.type = type;
    this.id = id;
    this.span = span;
    this.context = Context.current().with(span);
    this.startNanos = startNanos;
  }

  public String type() {
    return type;
  }

  public String id() {
    return id;
  }

  /** The operation's span, e.g. to add attributes. */
  public Span span() {
    return span;
  }

  /** The trace id of the operation's span. */
  public String traceId() {
    return span.getSpanContext().getTraceId();
  }

  /**
   * Makes the operation's span current and puts {@code operation_id} in the logging context on this
   * thread, until the returned scope is closed (which restores what was there before).
   */
  public Scope makeCurrent() {
    Scope spanScope = context.makeCurrent();
    String previous = MDC.get(MDC_KEY);
    MDC.put(MDC_KEY, id);
    return () -> {
      if (previous == null) {
        MDC.remove(MDC_KEY);
      } else {
        MDC.put(MDC_KEY, previous);
      }
      spanScope.close();
    };
  }

  /**
   * Records progress as a span event {@code progress} with {@code operation.progress} (0 to 1) and
   * {@code operation.message}.
   */
  public void progress(double fraction, @Nullable String message) {
    double clamped = Math.max(0, Math.min(1, fraction));
    span.addEvent(
        "progress", Attributes.of(PROGRESS, clamped, MESSAGE, message == null ? "" : message));
  }

  /** Ends the operation as completed. */
  public void complete() {
    end(OperationStatus.COMPLETED, null);
  }

  /** Ends the operation as failed: the error is recorded on the span, whose status is ERROR. */
  public void fail(Throwable error) {
    end(OperationStatus.FAILED, error);
  }

  /** Ends the operation as cancelled. */
  public void cancel() {
    end(OperationStatus.CANCELLED, null);
  }

  /** Whether the operation has ended. */
  public boolean isEnded() {
    return ended.get();
  }

  private void end(OperationStatus status, @Nullable Throwable error) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    try (Scope ignored = context.makeCurrent()) {
      if (error != null) {
        span.recordException(error);
        span.setStatus(StatusCode.ERROR, error.getClass().getSimpleName());
      }
      span.setAttribute(OperationTracker.STATUS_ATTRIBUTE, status.label());
      tracker.recordEnd(type, status, System.nanoTime() - startNanos);
    } finally {
      span.end();
    }
  }
}
