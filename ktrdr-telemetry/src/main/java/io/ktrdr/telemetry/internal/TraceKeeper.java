package io.ktrdr.telemetry.internal;

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
 * 1, at most 512) per trace. When the buffer is full, the traces waiting longest are evicted to
 * make room; their spans and the spans beyond a trace's share are counted in {@code
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
  private final List<SpanProcessor> exporters = new CopyOnWriteArrayList<>();

  /** Traces waiting for their local root, oldest first. Guarded by itself. */
  private final LinkedHashMap<String, List<ReadableSpan>> waiting = new LinkedHashMap<>();

  private int waitingSpans; // guarded by waiting

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

  private void decide(ReadableSpan root, String traceId) {
    List<ReadableSpan> children = null;
    if (waitingTraces > 0) {
      synchronized (waiting) {
        children = waiting.remove(traceId);
        if (children != null) {
          waitingSpans -= children.size();
          waitingTraces = waiting.size();
        }
      }
    }
    Attributes reason = null;
    if (root.getLatencyNanos() > slowerThanNanos) {
      reason = KEPT_SLOW;
    } else if (keepErrors && (failed(root) || anyFailed(children))) {
      reason = KEPT_ERROR;
    }
    if (reason == null) {
      recentDropped.setRelease(slot(traceId, RECENT_DROPPED), traceId);
      return;
    }
    recentKept.setRelease(slot(traceId, RECENT_KEPT), traceId);
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
    synchronized (waiting) {
      List<ReadableSpan> trace = waiting.get(traceId);
      if (trace == null) {
        if (traceId.equals(recentKept.getAcquire(slot(traceId, RECENT_KEPT)))) {
          late = true;
        } else if (traceId.equals(recentDropped.getAcquire(slot(traceId, RECENT_DROPPED)))) {
          return;
        } else {
          trace = new ArrayList<>(4);
          waiting.put(traceId, trace);
        }
      }
      if (trace != null) {
        if (trace.size() >= maxSpansPerTrace) {
          tooLarge = true;
        } else {
          trace.add(span);
          waitingSpans++;
          Iterator<Map.Entry<String, List<ReadableSpan>>> oldest = waiting.entrySet().iterator();
          while (waitingSpans > maxSpans && oldest.hasNext()) {
            List<ReadableSpan> spans = oldest.next().getValue();
            oldest.remove();
            waitingSpans -= spans.size();
            evicted += spans.size();
          }
        }
        waitingTraces = waiting.size();
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
