package io.ktrdr.telemetry.internal.sampling;

import io.ktrdr.telemetry.internal.export.ExportReporter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.DelegatingSpanData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * Keeps the traces the sampler did not pick when this service saw them fail or last too long: the
 * decision is local, taken when the local root span (no parent, or a remote parent) ends.
 *
 * <p>{@link #sampler(Sampler)} wraps the configured sampler: where it would drop a span that starts
 * a trace in this process (a root, or a remote parent), or a child of such a recorded span, the
 * span is recorded but not sampled ({@code RECORD_ONLY}: downstream services see {@code
 * sampled=0}). What the sampler samples is unchanged. {@link #wrap(SpanProcessor)} puts a filter in
 * front of the export processor: sampled spans pass straight through; ended recorded-but-unsampled
 * children wait per trace until the trace's local root ends; then the whole trace goes to the
 * exporter, flagged sampled, when its root lasted longer than the threshold or any of its spans had
 * status {@code ERROR}, and is dropped otherwise.
 *
 * <p>Bounded: at most {@code maxSpans} spans wait in total, at most {@code maxSpans / 4} (at least
 * 1, at most 512) per trace. Long traces (long operations) must not push request traces out: the
 * spans of a trace past its first {@value #LONG_TRACE_FROM} (or {@code maxSpans / 32}) draw from a
 * budget of half the buffer shared by all long traces, and are dropped when it is spent, so request
 * traces always have the other half. When the buffer is full, the traces waiting longest are
 * evicted to make room; their spans and the spans beyond a trace's share are counted in {@code
 * ktrdr_telemetry_dropped_total{signal="spans", reason="keep_buffer_full"|"keep_trace_too_large"}}.
 * A child ending after its trace was decided follows the decision while the trace is among the last
 * {@value #RECENT_DROPPED} dropped or {@value #RECENT_KEPT} kept ones (a lossy, allocation-free
 * memory of trace ids); otherwise it waits like any child and is eventually evicted. Kept traces
 * are counted in {@code ktrdr_telemetry_traces_kept_total{reason="error"|"slow"}}.
 *
 * <p>Internal: not part of the public API.
 */
public final class TraceKeeper {
  /** Default bound of spans waiting for their trace's decision. */
  public static final int DEFAULT_MAX_SPANS = 2048;

  static final int RECENT_DROPPED = 1024;
  static final int RECENT_KEPT = 256;
  static final int MAX_SPANS_PER_TRACE = 512;

  /** Spans of one trace beyond which it counts as long (with {@code maxSpans / 32}, if smaller). */
  static final int LONG_TRACE_FROM = 64;

  private static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");
  private static final Attributes BUFFER_FULL =
      ExportReporter.dropReason("spans", "keep_buffer_full");
  private static final Attributes TRACE_TOO_LARGE =
      ExportReporter.dropReason("spans", "keep_trace_too_large");
  private static final Attributes KEPT_ERROR = Attributes.of(REASON, "error");
  private static final Attributes KEPT_SLOW = Attributes.of(REASON, "slow");

  private final boolean keepErrors;
  private final long slowerThanNanos;
  private final int maxSpans;
  private final int maxSpansPerTrace;
  private final int longTraceFrom;
  private final int longBudget;
  private final List<SpanProcessor> exporters = new CopyOnWriteArrayList<>();

  /** Traces waiting for their local root, oldest first. Guarded by itself. */
  private final LinkedHashMap<String, List<ReadableSpan>> waiting = new LinkedHashMap<>();

  private int waitingSpans; // guarded by waiting

  /** Spans past {@link #longTraceFrom} of their trace, in all traces; at most longBudget. */
  private int longSpans; // guarded by waiting

  /** {@code waiting.size()}, readable without the lock: the common path skips the lock at 0. */
  private volatile int waitingTraces;

  private final AtomicReferenceArray<String> recentDropped =
      new AtomicReferenceArray<>(RECENT_DROPPED);
  private final AtomicReferenceArray<String> recentKept = new AtomicReferenceArray<>(RECENT_KEPT);
  private volatile @Nullable LongCounter dropped;
  private volatile @Nullable LongCounter kept;

  private TraceKeeper(boolean keepErrors, @Nullable Duration slowerThan, int maxSpans) {
    this.keepErrors = keepErrors;
    this.slowerThanNanos = slowerThan == null ? Long.MAX_VALUE : slowerThan.toNanos();
    this.maxSpans = maxSpans;
    this.maxSpansPerTrace = Math.max(1, Math.min(MAX_SPANS_PER_TRACE, maxSpans / 4));
    this.longTraceFrom = Math.max(1, Math.min(LONG_TRACE_FROM, maxSpans / 32));
    this.longBudget = maxSpans / 2;
  }

  /**
   * A keeper of error traces ({@code keepErrors}) and of traces whose local root lasts longer than
   * {@code slowerThan} (null: none), holding at most {@code maxSpans} spans.
   */
  public static TraceKeeper create(
      boolean keepErrors, @Nullable Duration slowerThan, int maxSpans) {
    if (maxSpans < 1) {
      throw new IllegalArgumentException("maxSpans must be at least 1, was " + maxSpans);
    }
    if (slowerThan != null && (slowerThan.isNegative() || slowerThan.isZero())) {
      throw new IllegalArgumentException("slowerThan must be positive, was " + slowerThan);
    }
    return new TraceKeeper(keepErrors, slowerThan, maxSpans);
  }

  /**
   * Creates the keeper's counters on {@code meter}, at 0: {@code ktrdr.telemetry.dropped} with its
   * keep reasons and {@code ktrdr.telemetry.traces.kept}.
   */
  public void bindMetrics(Meter meter) {
    LongCounter droppedCounter = ExportReporter.droppedCounter(meter);
    droppedCounter.add(0, BUFFER_FULL);
    droppedCounter.add(0, TRACE_TOO_LARGE);
    LongCounter keptCounter =
        meter
            .counterBuilder("ktrdr.telemetry.traces.kept")
            .setUnit("{trace}")
            .setDescription(
                "Traces the sampler did not pick, exported because this service saw an error or"
                    + " a local root slower than the threshold.")
            .build();
    keptCounter.add(0, KEPT_ERROR);
    keptCounter.add(0, KEPT_SLOW);
    this.dropped = droppedCounter;
    this.kept = keptCounter;
  }

  /** What the keeper does, for the start-up log line. */
  public String describe() {
    List<String> rules = new ArrayList<>();
    if (keepErrors) {
      rules.add("errors");
    }
    if (slowerThanNanos != Long.MAX_VALUE) {
      rules.add("slower than " + Duration.ofNanos(slowerThanNanos).toMillis() + " ms");
    }
    return String.join(", ", rules) + " (buffer " + maxSpans + " spans)";
  }

  /** The configured sampler, recording (not sampling) what it drops that this keeper may keep. */
  public Sampler sampler(Sampler delegate) {
    return new KeepingSampler(delegate);
  }

  /**
   * {@code exporter}, behind the keeper. Every processor autoconfigure builds is wrapped; the first
   * one decides, and kept spans go to all of them.
   */
  public SpanProcessor wrap(SpanProcessor exporter) {
    boolean decides = exporters.isEmpty();
    exporters.add(exporter);
    return new KeepingProcessor(exporter, decides);
  }

  /** Spans waiting for their trace's decision (tests). */
  int waitingSpans() {
    synchronized (waiting) {
      return waitingSpans;
    }
  }

  private static boolean startsLocalTrace(SpanContext parent) {
    return !parent.isValid() || parent.isRemote();
  }

  private static int slot(String traceId, int length) {
    return traceId.hashCode() & (length - 1);
  }

  void onEnd(ReadableSpan span) {
    String traceId = span.getSpanContext().getTraceId();
    if (startsLocalTrace(span.getParentSpanContext())) {
      decide(span, traceId);
    } else {
      hold(span, traceId);
    }
  }

  /**
   * Decides a trace when its local root ends. A child ending on another thread at the same time
   * must either be among the children decided here or see the decision (and follow it), never wait
   * for a decision already taken. So: with children waiting, the decision is taken and published
   * under the lock {@link #hold} checks it under; without (the common case, no lock), it is
   * published first and {@code waitingTraces} read again afterwards, while {@link #hold} reads the
   * decision again after parking a new trace: of the two, at least one sees the other (both are
   * volatile), and whichever takes the trace out of {@code waiting} under the lock handles it.
   */
  private void decide(ReadableSpan root, String traceId) {
    Attributes reason = null;
    if (root.getLatencyNanos() > slowerThanNanos) {
      reason = KEPT_SLOW;
    } else if (keepErrors && failed(root)) {
      reason = KEPT_ERROR;
    }
    List<ReadableSpan> children = null;
    if (waitingTraces > 0) {
      synchronized (waiting) {
        children = take(traceId);
        if (reason == null && keepErrors && anyFailed(children)) {
          reason = KEPT_ERROR;
        }
        publish(traceId, reason != null);
      }
    } else {
      publish(traceId, reason != null);
      if (waitingTraces > 0) {
        synchronized (waiting) {
          children = take(traceId);
        }
      }
    }
    if (reason == null) {
      return;
    }
    if (children != null) {
      for (ReadableSpan child : children) {
        export(child);
      }
    }
    export(root);
    LongCounter counter = kept;
    if (counter != null) {
      counter.add(1, reason);
    }
  }

  /** Takes {@code traceId}'s waiting spans out of the buffer. Call under the lock. */
  private @Nullable List<ReadableSpan> take(String traceId) {
    List<ReadableSpan> spans = waiting.remove(traceId);
    if (spans != null) {
      forget(spans);
      waitingTraces = waiting.size();
    }
    return spans;
  }

  /**
   * Takes the spans of a trace just removed from {@code waiting} off the counts. Under the lock.
   */
  private void forget(List<ReadableSpan> spans) {
    waitingSpans -= spans.size();
    longSpans -= Math.max(0, spans.size() - longTraceFrom);
  }

  /** Remembers the decision, for children that end after it (volatile: see {@link #decide}). */
  private void publish(String traceId, boolean keep) {
    if (keep) {
      recentKept.set(slot(traceId, RECENT_KEPT), traceId);
    } else {
      recentDropped.set(slot(traceId, RECENT_DROPPED), traceId);
    }
  }

  /** {@code Boolean.TRUE} kept, {@code FALSE} dropped, null not (or no longer) remembered. */
  private @Nullable Boolean decision(String traceId) {
    if (traceId.equals(recentKept.get(slot(traceId, RECENT_KEPT)))) {
      return Boolean.TRUE;
    }
    if (traceId.equals(recentDropped.get(slot(traceId, RECENT_DROPPED)))) {
      return Boolean.FALSE;
    }
    return null;
  }

  private static boolean failed(ReadableSpan span) {
    return span.toSpanData().getStatus().getStatusCode() == StatusCode.ERROR;
  }

  private static boolean anyFailed(@Nullable List<ReadableSpan> spans) {
    if (spans != null) {
      for (ReadableSpan span : spans) {
        if (failed(span)) {
          return true;
        }
      }
    }
    return false;
  }

  private void hold(ReadableSpan span, String traceId) {
    int evicted = 0;
    boolean tooLarge = false;
    boolean late = false;
    boolean parked = false;
    synchronized (waiting) {
      List<ReadableSpan> trace = waiting.get(traceId);
      if (trace == null) {
        Boolean decided = decision(traceId);
        if (decided == Boolean.TRUE) {
          late = true;
        } else if (decided == Boolean.FALSE) {
          return;
        } else {
          trace = new ArrayList<>(4);
          waiting.put(traceId, trace);
          parked = true;
        }
      }
      if (trace != null) {
        boolean longTrace = trace.size() >= longTraceFrom;
        if (trace.size() >= maxSpansPerTrace || (longTrace && longSpans >= longBudget)) {
          tooLarge = true;
        } else {
          trace.add(span);
          waitingSpans++;
          if (longTrace) {
            longSpans++;
          }
          Iterator<Map.Entry<String, List<ReadableSpan>>> oldest = waiting.entrySet().iterator();
          while (waitingSpans > maxSpans && oldest.hasNext()) {
            List<ReadableSpan> spans = oldest.next().getValue();
            oldest.remove();
            forget(spans);
            evicted += spans.size();
          }
        }
        waitingTraces = waiting.size();
      }
    }
    if (parked) {
      // The root may have decided, without seeing this trace, since the check above.
      Boolean decided = decision(traceId);
      if (decided != null) {
        List<ReadableSpan> decidedSpans;
        synchronized (waiting) {
          decidedSpans = take(traceId);
        }
        if (decidedSpans != null && decided) {
          decidedSpans.forEach(this::export);
        }
      }
    }
    if (late) {
      export(span);
    } else if (tooLarge) {
      countDropped(1, TRACE_TOO_LARGE);
    } else if (evicted > 0) {
      countDropped(evicted, BUFFER_FULL);
    }
  }

  private void countDropped(int spans, Attributes reason) {
    LongCounter counter = dropped;
    if (counter != null) {
      counter.add(spans, reason);
    }
  }

  private void export(ReadableSpan span) {
    ReadableSpan sampled = new KeptSpan(span);
    for (SpanProcessor exporter : exporters) {
      exporter.onEnd(sampled);
    }
  }

  private void clear() {
    synchronized (waiting) {
      waiting.clear();
      waitingSpans = 0;
      longSpans = 0;
      waitingTraces = 0;
    }
  }

  /** The configured sampler, recording what it would drop of the traces this process starts. */
  private static final class KeepingSampler implements Sampler {
    private final Sampler delegate;

    KeepingSampler(Sampler delegate) {
      this.delegate = delegate;
    }

    @Override
    public SamplingResult shouldSample(
        Context parentContext,
        String traceId,
        String name,
        SpanKind spanKind,
        Attributes attributes,
        List<LinkData> parentLinks) {
      SamplingResult result =
          delegate.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
      if (result.getDecision() != SamplingDecision.DROP) {
        return result;
      }
      Span parent = Span.fromContext(parentContext);
      if (startsLocalTrace(parent.getSpanContext()) || parent.isRecording()) {
        return SamplingResult.recordOnly();
      }
      return result;
    }

    @Override
    public String getDescription() {
      return "KeepErrorsAndSlowTraces{" + delegate.getDescription() + "}";
    }

    @Override
    public String toString() {
      return getDescription();
    }
  }

  /** One export processor behind the keeper. */
  private final class KeepingProcessor implements SpanProcessor {
    private final SpanProcessor delegate;
    private final boolean decides;

    KeepingProcessor(SpanProcessor delegate, boolean decides) {
      this.delegate = delegate;
      this.decides = decides;
    }

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
      delegate.onStart(parentContext, span);
    }

    @Override
    public boolean isStartRequired() {
      return delegate.isStartRequired();
    }

    @Override
    public void onEnd(ReadableSpan span) {
      if (span.getSpanContext().isSampled()) {
        delegate.onEnd(span);
      } else if (decides) {
        TraceKeeper.this.onEnd(span);
      }
    }

    @Override
    public boolean isEndRequired() {
      return true;
    }

    @Override
    public CompletableResultCode shutdown() {
      if (decides) {
        clear();
      }
      return delegate.shutdown();
    }

    @Override
    public CompletableResultCode forceFlush() {
      return delegate.forceFlush();
    }

    @Override
    public String toString() {
      return "KeepErrorsAndSlowTraces{" + delegate + "}";
    }
  }

  /**
   * A kept span, flagged sampled so that the export processors take it and the backend shows it
   * like any sampled span.
   */
  private static final class KeptSpan implements ReadableSpan {
    private final ReadableSpan delegate;
    private final SpanContext context;

    KeptSpan(ReadableSpan delegate) {
      this.delegate = delegate;
      SpanContext original = delegate.getSpanContext();
      this.context =
          SpanContext.create(
              original.getTraceId(),
              original.getSpanId(),
              TraceFlags.fromByte((byte) (original.getTraceFlags().asByte() | 1)),
              original.getTraceState());
    }

    @Override
    public SpanContext getSpanContext() {
      return context;
    }

    @Override
    public SpanContext getParentSpanContext() {
      return delegate.getParentSpanContext();
    }

    @Override
    public String getName() {
      return delegate.getName();
    }

    @Override
    public SpanData toSpanData() {
      return new KeptSpanData(delegate.toSpanData(), context);
    }

    @Override
    @Deprecated
    public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
      return delegate.getInstrumentationLibraryInfo();
    }

    @Override
    public InstrumentationScopeInfo getInstrumentationScopeInfo() {
      return delegate.getInstrumentationScopeInfo();
    }

    @Override
    public boolean hasEnded() {
      return delegate.hasEnded();
    }

    @Override
    public long getLatencyNanos() {
      return delegate.getLatencyNanos();
    }

    @Override
    public SpanKind getKind() {
      return delegate.getKind();
    }

    @Override
    public <T> @Nullable T getAttribute(AttributeKey<T> key) {
      return delegate.getAttribute(key);
    }

    @Override
    public Attributes getAttributes() {
      return delegate.getAttributes();
    }
  }

  private static final class KeptSpanData extends DelegatingSpanData {
    private final SpanContext context;

    KeptSpanData(SpanData delegate, SpanContext context) {
      super(delegate);
      this.context = context;
    }

    @Override
    public SpanContext getSpanContext() {
      return context;
    }
  }
}
