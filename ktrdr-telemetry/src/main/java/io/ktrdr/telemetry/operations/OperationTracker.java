package io.ktrdr.telemetry.operations;

import io.ktrdr.telemetry.internal.errors.SdkErrors;
import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Telemetry for KTRDR's long-running operations (data loads, trainings, backtests).
 *
 * <pre>{@code
 * BacktestResult result = telemetry.operations().run("backtest", operationId, op -> {
 *   op.progress(0.1, "loading bars");
 *   List<Bar> bars = loadBars();
 *   op.progress(0.5, "simulating");
 *   return simulate(bars);
 * });
 * }</pre>
 *
 * <p>Each operation gets a span {@code operation.<type>} with {@code operation.id} and {@code
 * operation.type}; {@code operation_id} in the logging context while it runs; progress as span
 * events. Emits:
 *
 * <ul>
 *   <li>{@code ktrdr_operations_total{operation_type,status}}: operations ended, status {@code
 *       completed}, {@code failed} or {@code cancelled}
 *   <li>{@code ktrdr_operation_duration_seconds{operation_type,status}}: histogram, 0.5 s to 1 h
 *   <li>{@code ktrdr_operations_active{operation_type}}: operations running now
 * </ul>
 *
 * <p>A body that throws {@link CancellationException} ends {@code cancelled}; any other exception
 * ends {@code failed} and is rethrown.
 *
 * <p>Bounded: the type becomes a metric label, so at most {@value #MAX_TYPES} distinct types
 * (declared or started) get their own series; later ones are recorded as {@code
 * operation_type="other"} (span {@code operation.other}, whose {@code operation.type} attribute
 * keeps the real type) and named once in a warning. A type built from data ({@code "backtest-" +
 * symbol}) thus costs a bounded number of series and no memory per value.
 */
public final class OperationTracker {
  private static final Logger logger = LoggerFactory.getLogger(OperationTracker.class);

  /** Distinct operation types with series of their own; later types are folded into other. */
  static final int MAX_TYPES = 64;

  /** The type that types past {@link #MAX_TYPES} are recorded as. */
  static final String OTHER = "other";

  /** Bucket boundaries of the duration histogram, seconds: half a second to an hour. */
  public static final List<Double> DURATION_BUCKETS =
      List.of(0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0);

  static final String SCOPE = "io.ktrdr.telemetry.operations";

  static final AttributeKey<String> OPERATION_ID = AttributeKey.stringKey("operation.id");
  static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("operation.type");
  static final AttributeKey<String> STATUS = AttributeKey.stringKey("status");
  static final AttributeKey<String> STATUS_ATTRIBUTE = AttributeKey.stringKey("operation.status");

  private final Tracer tracer;
  private final TelemetryErrors errors;
  private final LongCounter total;
  private final DoubleHistogram duration;
  private final LongUpDownCounter active;
  private final Map<String, TypeAttributes> attributes = new ConcurrentHashMap<>();
  private final TypeAttributes other = new TypeAttributes(OTHER);
  private boolean warnedOverflow; // guarded by attributes

  /** Attribute sets of one operation type, built once. */
  private static final class TypeAttributes {
    final String spanName;
    final Attributes active;
    final Attributes[] byStatus = new Attributes[OperationStatus.values().length];

    TypeAttributes(String type) {
      this.spanName = "operation." + type;
      this.active = Attributes.of(OPERATION_TYPE, type);
      for (OperationStatus status : OperationStatus.values()) {
        byStatus[status.ordinal()] = Attributes.of(OPERATION_TYPE, type, STATUS, status.label());
      }
    }
  }

  private OperationTracker(Tracer tracer, Meter meter, TelemetryErrors errors) {
    this.tracer = tracer;
    this.errors = errors;
    this.total =
        meter
            .counterBuilder("ktrdr.operations")
            .setUnit("{operation}")
            .setDescription("Operations ended, by type and final status.")
            .build();
    this.duration =
        meter
            .histogramBuilder("ktrdr.operation.duration")
            .setUnit("s")
            .setDescription("Duration of operations, by type and final status.")
            .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS)
            .build();
    this.active =
        meter
            .upDownCounterBuilder("ktrdr.operations.active")
            .setUnit("{operation}")
            .setDescription("Operations running now, by type.")
            .build();
  }

  /**
   * A tracker that records with {@code openTelemetry}, under the instrumentation scope {@code
   * io.ktrdr.telemetry.operations}. {@link io.ktrdr.telemetry.KtrdrTelemetry#operations()} is one.
   */
  public static OperationTracker create(OpenTelemetry openTelemetry) {
    Objects.requireNonNull(openTelemetry, "openTelemetry");
    return new OperationTracker(
        openTelemetry.getTracer(SCOPE),
        openTelemetry.getMeterProvider().get(SCOPE),
        SdkErrors.of(openTelemetry));
  }

  /**
   * Declares operation types up front so that their series exist at zero before the first operation
   * ends (dashboards and alerts then see {@code 0}, not "no data").
   */
  public void declare(String... types) {
    for (String type : types) {
      TypeAttributes typeAttributes = attributes(type);
      try {
        active.add(0, typeAttributes.active);
        for (Attributes statusAttributes : typeAttributes.byStatus) {
          total.add(0, statusAttributes);
        }
      } catch (RuntimeException e) {
        errors.record(TelemetryErrors.OPERATIONS, e);
      }
    }
  }

  private TypeAttributes attributes(String type) {
    Objects.requireNonNull(type, "type");
    TypeAttributes found = attributes.get(type);
    if (found != null) {
      return found;
    }
    // A new type: rare, so a lock keeps the count exact.
    synchronized (attributes) {
      found = attributes.get(type);
      if (found != null) {
        return found;
      }
      if (attributes.size() >= MAX_TYPES) {
        if (!warnedOverflow) {
          warnedOverflow = true;
          logger.warn(
              "More than {} operation types; '{}' and later new types are recorded as"
                  + " operation_type=\"{}\". Use a small fixed set of types (the id or symbol"
                  + " belongs in the operation id)",
              MAX_TYPES,
              type,
              OTHER);
        }
        return other;
      }
      found = new TypeAttributes(type);
      attributes.put(type, found);
      return found;
    }
  }

  /**
   * Starts an operation as a child of the current span (or a new trace). End it with {@link
   * Operation#complete()}, {@link Operation#fail} or {@link Operation#cancel()}.
   *
   * @param type a small fixed set: {@code data_load}, {@code training}, {@code backtest} (it
   *     becomes a metric label)
   * @param id the operation's unique id (a span attribute and log field, never a metric label)
   */
  public Operation start(String type, String id) {
    TypeAttributes typeAttributes = attributes(type);
    Span span =
        tracer
            .spanBuilder(typeAttributes.spanName)
            .setSpanKind(SpanKind.INTERNAL)
            .setAttribute(OPERATION_ID, id)
            .setAttribute(OPERATION_TYPE, type)
            .startSpan();
    try {
      active.add(1, typeAttributes.active);
    } catch (RuntimeException e) {
      errors.record(TelemetryErrors.OPERATIONS, e);
    }
    return new Operation(this, type, id, span, System.nanoTime());
  }

  /**
   * Runs {@code body} as an operation on this thread: starts it, makes it current, and ends it
   * completed, cancelled ({@link CancellationException}) or failed (any other exception, which is
   * rethrown).
   */
  public <T extends @Nullable Object, E extends Exception> T run(
      String type, String id, OperationBody<T, E> body) throws E {
    Operation operation = start(type, id);
    try (Scope ignored = operation.makeCurrent()) {
      T result = body.run(operation);
      operation.complete();
      return result;
    } catch (CancellationException e) {
      operation.cancel();
      throw e;
    } catch (Throwable t) {
      operation.fail(t);
      throw t;
    }
  }

  /** The work of an operation. */
  @FunctionalInterface
  public interface OperationBody<T extends @Nullable Object, E extends Exception> {
    T run(Operation operation) throws E;
  }

  void recordEnd(String type, OperationStatus status, long nanos) {
    try {
      TypeAttributes typeAttributes = attributes(type);
      Attributes statusAttributes = typeAttributes.byStatus[status.ordinal()];
      duration.record(nanos / 1e9, statusAttributes);
      total.add(1, statusAttributes);
      active.add(-1, typeAttributes.active);
    } catch (RuntimeException e) {
      errors.record(TelemetryErrors.OPERATIONS, e);
    }
  }
}
