package io.ktrdr.telemetry.internal.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.testing.time.TestClock;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The keep decision with the real SDK: sampler, processor, in-memory exporter and meter. */
class TraceKeeperTest {
  private static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");

  private final TestClock clock = TestClock.create();
  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final SdkMeterProvider meters =
      SdkMeterProvider.builder().registerMetricReader(metrics).build();
  private SdkTracerProvider tracers = SdkTracerProvider.builder().build();
  private TraceKeeper keeper = TraceKeeper.create(false, null, 1);
  private Tracer tracer = tracers.get("test");

  /** Ratio 0 (or {@code ratio}) behind the keeper, errors and roots slower than 500 ms kept. */
  private void start(double ratio, int maxSpans) {
    tracers.close();
    keeper = TraceKeeper.create(true, Duration.ofMillis(500), maxSpans);
    keeper.bindMetrics(meters.get("test"));
    tracers =
        SdkTracerProvider.builder()
            .setClock(clock)
            .setSampler(keeper.sampler(Sampler.parentBased(Sampler.traceIdRatioBased(ratio))))
            .addSpanProcessor(keeper.wrap(SimpleSpanProcessor.create(exporter)))
            .build();
    tracer = tracers.get("test");
  }

  @AfterEach
  void close() {
    recordOnly.close();
    tracers.close();
    meters.close();
  }

  private long counter(String name, String reason) {
    for (MetricData metric : metrics.collectAllMetrics()) {
      if (metric.getName().equals(name)) {
        for (LongPointData point : metric.getLongSumData().getPoints()) {
          if (reason.equals(point.getAttributes().get(REASON))) {
            return point.getValue();
          }
        }
      }
    }
    throw new AssertionError(name + "{reason=" + reason + "} not found");
  }

  private long kept(String reason) {
    return counter("ktrdr.telemetry.traces.kept", reason);
  }

  private long dropped(String reason) {
    return counter("ktrdr.telemetry.dropped", reason);
  }

  /** A root with two children, the second with a grandchild; {@code fail} marks the grandchild. */
  private Span trace(boolean fail, Duration rootDuration) {
    Span root = tracer.spanBuilder("root").startSpan();
    try (Scope ignored = root.makeCurrent()) {
      tracer.spanBuilder("child-1").startSpan().end();
      Span child = tracer.spanBuilder("child-2").startSpan();
      try (Scope inner = child.makeCurrent()) {
        Span grandchild = tracer.spanBuilder("grandchild").startSpan();
        if (fail) {
          grandchild.setStatus(StatusCode.ERROR, "boom");
        }
        grandchild.end();
      }
      child.end();
    }
    clock.advance(rootDuration);
    root.end();
    return root;
  }

  private Map<String, SpanData> exportedByName() {
    return exporter.getFinishedSpanItems().stream()
        .collect(Collectors.toMap(SpanData::getName, span -> span, (a, b) -> b, HashMap::new));
  }

  @Test
  void everyCounterSeriesStartsAtZero() {
    start(0, 2048);
    assertThat(kept("error")).isZero();
    assertThat(kept("slow")).isZero();
    assertThat(dropped("keep_buffer_full")).isZero();
    assertThat(dropped("keep_trace_too_large")).isZero();
    assertThat(dropped("export_failed")).isZero();
  }

  @Test
  void theExportProcessorsSeeTheKeptSpanAsItWasButSampled() {
    List<ReadableSpan> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<String> started = new java.util.concurrent.CopyOnWriteArrayList<>();
    SpanProcessor recorder =
        new SpanProcessor() {
          @Override
          public void onStart(Context parentContext, ReadWriteSpan span) {
            started.add(span.getName());
          }

          @Override
          public boolean isStartRequired() {
            return true;
          }

          @Override
          public void onEnd(ReadableSpan span) {
            seen.add(span);
          }

          @Override
          public boolean isEndRequired() {
            return true;
          }
        };
    TraceKeeper keeper = TraceKeeper.create(true, null, 16);
    try (SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setClock(clock)
            .setSampler(keeper.sampler(Sampler.alwaysOff()))
            .addSpanProcessor(keeper.wrap(recorder))
            .addSpanProcessor(keeper.wrap(SimpleSpanProcessor.create(exporter)))
            .build()) {
      Span root =
          provider
              .get("scope")
              .spanBuilder("root")
              .setSpanKind(io.opentelemetry.api.trace.SpanKind.SERVER)
              .setAttribute("k", "v")
              .startSpan();
      clock.advance(Duration.ofMillis(3));
      root.setStatus(StatusCode.ERROR).end();

      assertThat(started).containsExactly("root");
      assertThat(seen).hasSize(1);
      ReadableSpan kept = seen.get(0);
      assertThat(kept.getSpanContext().isSampled()).isTrue();
      assertThat(kept.getSpanContext().getSpanId()).isEqualTo(root.getSpanContext().getSpanId());
      assertThat(kept.getParentSpanContext().isValid()).isFalse();
      assertThat(kept.getName()).isEqualTo("root");
      assertThat(kept.getKind()).isEqualTo(io.opentelemetry.api.trace.SpanKind.SERVER);
      assertThat(kept.hasEnded()).isTrue();
      assertThat(kept.getLatencyNanos()).isEqualTo(Duration.ofMillis(3).toNanos());
      assertThat(kept.getAttribute(AttributeKey.stringKey("k"))).isEqualTo("v");
      assertThat(kept.getAttributes().get(AttributeKey.stringKey("k"))).isEqualTo("v");
      assertThat(kept.getInstrumentationScopeInfo().getName()).isEqualTo("scope");
      assertThat(kept.toSpanData().getSpanContext().isSampled()).isTrue();
      // Both export processors get it; only the first decides.
      assertThat(exporter.getFinishedSpanItems()).hasSize(1);
    }
  }

  @Test
  void concurrentTracesAreDecidedEachOnItsOwn() throws Exception {
    start(0, 100_000);
    int threads = 4;
    int perThread = 500;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    trace(i % 10 == 0, Duration.ZERO);
                  }
                }));
      }
      for (java.util.concurrent.Future<?> future : done) {
        future.get(30, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    Map<String, List<SpanData>> traces =
        exporter.getFinishedSpanItems().stream()
            .collect(Collectors.groupingBy(SpanData::getTraceId));
    assertThat(traces).hasSize(threads * perThread / 10);
    assertThat(traces.values())
        .allSatisfy(
            trace ->
                assertThat(trace)
                    .extracting(SpanData::getName)
                    .containsExactlyInAnyOrder("root", "child-1", "child-2", "grandchild"));
    assertThat(kept("error")).isEqualTo(threads * perThread / 10);
    assertThat(keeper.waitingSpans()).isZero();
  }

  @Test
  void anOrdinaryTraceAtRatioZeroIsRecordedThenDropped() {
    start(0, 2048);
    Span root = trace(false, Duration.ofMillis(10));

    assertThat(root.getSpanContext().isSampled()).isFalse();
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
    assertThat(keeper.waitingSpans()).isZero();
    assertThat(kept("error")).isZero();
    assertThat(kept("slow")).isZero();
  }

  @Test
  void anErrorTraceIsKeptWithAllItsSpansFlaggedSampled() {
    start(0, 2048);
    Span root = trace(true, Duration.ofMillis(10));

    Map<String, SpanData> spans = exportedByName();
    assertThat(spans).containsOnlyKeys("root", "child-1", "child-2", "grandchild");
    assertThat(spans.values())
        .allSatisfy(
            span -> {
              assertThat(span.getTraceId()).isEqualTo(root.getSpanContext().getTraceId());
              assertThat(span.getSpanContext().isSampled()).isTrue();
              assertThat(span.hasEnded()).isTrue();
            });
    assertThat(spans.get("grandchild").getParentSpanId())
        .isEqualTo(spans.get("child-2").getSpanId());
    assertThat(spans.get("child-2").getParentSpanId()).isEqualTo(spans.get("root").getSpanId());
    assertThat(spans.get("root").getSpanId()).isEqualTo(root.getSpanContext().getSpanId());
    assertThat(spans.get("grandchild").getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(kept("error")).isEqualTo(1);
    assertThat(keeper.waitingSpans()).isZero();
  }

  @Test
  void aFailedRootAloneIsKept() {
    start(0, 2048);
    Span root = tracer.spanBuilder("root").startSpan();
    root.setStatus(StatusCode.ERROR);
    root.end();

    assertThat(exportedByName()).containsOnlyKeys("root");
    assertThat(kept("error")).isEqualTo(1);
  }

  @Test
  void aSlowTraceIsKeptAndOneJustAtTheThresholdIsNot() {
    start(0, 2048);
    trace(false, Duration.ofMillis(500));
    assertThat(exporter.getFinishedSpanItems()).isEmpty();

    trace(false, Duration.ofMillis(501));
    assertThat(exportedByName()).containsOnlyKeys("root", "child-1", "child-2", "grandchild");
    assertThat(kept("slow")).isEqualTo(1);
    assertThat(kept("error")).isZero();
  }

  @Test
  void headSampledTracesAreUnaffected() {
    start(1.0, 2048);
    Span root = trace(false, Duration.ofMillis(10));

    assertThat(root.getSpanContext().isSampled()).isTrue();
    assertThat(exportedByName()).containsOnlyKeys("root", "child-1", "child-2", "grandchild");
    assertThat(kept("error")).isZero();
    assertThat(kept("slow")).isZero();
    assertThat(keeper.waitingSpans()).isZero();
  }

  @Test
  void aSampledRemoteParentIsFollowedAndAnUnsampledOneCanBeKept() {
    start(0, 2048);
    SpanContext sampled =
        SpanContext.createFromRemoteParent(
            "0af7651916cd43dd8448eb211c80319c",
            "b7ad6b7169203331",
            TraceFlags.getSampled(),
            TraceState.getDefault());
    Span server =
        tracer.spanBuilder("server").setParent(Context.root().with(Span.wrap(sampled))).startSpan();
    server.end();
    assertThat(exporter.getFinishedSpanItems()).hasSize(1);
    assertThat(kept("error")).isZero();
    exporter.reset();

    SpanContext unsampled =
        SpanContext.createFromRemoteParent(
            "1af7651916cd43dd8448eb211c80319c",
            "c7ad6b7169203331",
            TraceFlags.getDefault(),
            TraceState.getDefault());
    Span failing =
        tracer
            .spanBuilder("server")
            .setParent(Context.root().with(Span.wrap(unsampled)))
            .startSpan();
    assertThat(failing.isRecording()).isTrue();
    failing.setStatus(StatusCode.ERROR).end();
    List<SpanData> spans = exporter.getFinishedSpanItems();
    assertThat(spans).hasSize(1);
    assertThat(spans.get(0).getTraceId()).isEqualTo(unsampled.getTraceId());
    assertThat(spans.get(0).getParentSpanId()).isEqualTo(unsampled.getSpanId());
  }

  @Test
  void downstreamServicesSeeSampledZero() {
    start(0, 2048);
    Span root = tracer.spanBuilder("root").startSpan();
    Map<String, String> headers = new HashMap<>();
    W3CTraceContextPropagator.getInstance()
        .inject(Context.root().with(root), headers, (carrier, k, v) -> carrier.put(k, v));
    assertThat(root.isRecording()).isTrue();
    root.end();

    String traceparent = headers.get("traceparent");
    assertThat(traceparent)
        .startsWith(
            "00-" + root.getSpanContext().getTraceId() + "-" + root.getSpanContext().getSpanId());
    // The sampled bit (01) is clear; the SDK may set W3C's random-trace-id bit (02).
    assertThat(Integer.parseInt(traceparent.substring(traceparent.length() - 2), 16) & 1).isZero();
  }

  @Test
  void aLateChildFollowsItsTracesDecision() {
    start(0, 2048);
    Span root = tracer.spanBuilder("root").startSpan();
    Span late = tracer.spanBuilder("late").setParent(Context.root().with(root)).startSpan();
    root.setStatus(StatusCode.ERROR).end();
    assertThat(exportedByName()).containsOnlyKeys("root");
    late.end();
    assertThat(exportedByName()).containsOnlyKeys("root", "late");
    assertThat(exportedByName().get("late").getSpanContext().isSampled()).isTrue();

    exporter.reset();
    Span ordinary = tracer.spanBuilder("root").startSpan();
    Span lateToo = tracer.spanBuilder("late").setParent(Context.root().with(ordinary)).startSpan();
    ordinary.end();
    lateToo.end();
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
    assertThat(keeper.waitingSpans()).isZero();
  }

  @Test
  void aChildStartedAfterItsParentEndedIsNotRecorded() {
    start(0, 2048);
    Span root = tracer.spanBuilder("root").startSpan();
    root.end();
    Span orphan = tracer.spanBuilder("orphan").setParent(Context.root().with(root)).startSpan();
    assertThat(orphan.isRecording()).isFalse();
  }

  @Test
  void theBufferIsBoundedEvictsTheOldestAndCountsWhatItDrops() {
    start(0, 8);
    List<Span> roots = new java.util.ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Span root = tracer.spanBuilder("root-" + i).startSpan();
      tracer.spanBuilder("child-" + i).setParent(Context.root().with(root)).startSpan().end();
      roots.add(root);
    }
    assertThat(keeper.waitingSpans()).isEqualTo(8);
    assertThat(dropped("keep_buffer_full")).isEqualTo(2);

    // The evicted traces' roots decide alone; the others still have their children.
    roots.get(0).setStatus(StatusCode.ERROR).end();
    assertThat(exportedByName()).containsOnlyKeys("root-0");
    roots.get(9).setStatus(StatusCode.ERROR).end();
    assertThat(exportedByName()).containsOnlyKeys("root-0", "root-9", "child-9");
    for (Span root : roots.subList(1, 9)) {
      root.end();
    }
    assertThat(keeper.waitingSpans()).isZero();
    assertThat(dropped("export_failed")).isZero();
  }

  @Test
  void aTraceHoldsAtMostAQuarterOfTheBuffer() {
    start(0, 8);
    Span root = tracer.spanBuilder("root").startSpan();
    for (int i = 0; i < 5; i++) {
      tracer.spanBuilder("child-" + i).setParent(Context.root().with(root)).startSpan().end();
    }
    assertThat(keeper.waitingSpans()).isEqualTo(2);
    assertThat(dropped("keep_trace_too_large")).isEqualTo(3);
    root.setStatus(StatusCode.ERROR).end();
    assertThat(exportedByName()).containsOnlyKeys("root", "child-0", "child-1");
  }

  @Test
  void shutdownLetsGoOfWaitingSpans() {
    start(0, 2048);
    Span root = tracer.spanBuilder("root").startSpan();
    tracer.spanBuilder("child").setParent(Context.root().with(root)).startSpan().end();
    assertThat(keeper.waitingSpans()).isEqualTo(1);
    tracers.shutdown().join(1, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(keeper.waitingSpans()).isZero();
  }

  @Test
  void withoutRulesOrWithInvalidOnesItRefusesToStart() {
    assertThatThrownBy(() -> TraceKeeper.create(true, null, 0))
        .hasMessage("maxSpans must be at least 1, was 0");
    assertThatThrownBy(() -> TraceKeeper.create(true, Duration.ZERO, 10))
        .hasMessage("slowerThan must be positive, was PT0S");
    assertThat(TraceKeeper.create(true, Duration.ofMillis(1500), 10).describe())
        .isEqualTo("errors, slower than 1500 ms (buffer 10 spans)");
    assertThat(TraceKeeper.create(false, Duration.ofSeconds(2), 10).describe())
        .isEqualTo("slower than 2000 ms (buffer 10 spans)");
    assertThat(TraceKeeper.create(true, null, 10).sampler(Sampler.alwaysOff()))
        .hasToString("KeepErrorsAndSlowTraces{AlwaysOffSampler}");
    assertThat(
            TraceKeeper.create(true, null, 10)
                .sampler(Sampler.alwaysOff())
                .shouldSample(
                    Context.root(),
                    "0af7651916cd43dd8448eb211c80319c",
                    "x",
                    io.opentelemetry.api.trace.SpanKind.SERVER,
                    Attributes.empty(),
                    List.of())
                .getDecision())
        .isEqualTo(io.opentelemetry.sdk.trace.samplers.SamplingDecision.RECORD_ONLY);
  }

  /**
   * A recorded, unsampled span of the SDK whose {@code toSpanData()} (where the keeper reads the
   * status) stops, the first time, until released: the interleaving point of the race tests.
   */
  private static final class PausingSpan implements ReadableSpan {
    final ReadableSpan delegate;
    final CountDownLatch reading = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    PausingSpan(Span span) {
      this.delegate = (ReadableSpan) span;
    }

    @Override
    public SpanData toSpanData() {
      if (reading.getCount() > 0) {
        reading.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return delegate.toSpanData();
    }

    @Override
    public SpanContext getSpanContext() {
      return delegate.getSpanContext();
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

  /** Spans recorded but not sampled, as the keeper's sampler makes them, ended outside it. */
  private final SdkTracerProvider recordOnly =
      SdkTracerProvider.builder()
          .setClock(clock)
          .setSampler(
              new Sampler() {
                @Override
                public SamplingResult shouldSample(
                    Context parentContext,
                    String traceId,
                    String name,
                    SpanKind spanKind,
                    Attributes attributes,
                    List<LinkData> parentLinks) {
                  return SamplingResult.recordOnly();
                }

                @Override
                public String getDescription() {
                  return "recordOnly";
                }
              })
          .build();

  private Span recorded(String name, @Nullable Span parent) {
    Span span =
        recordOnly
            .get("test")
            .spanBuilder(name)
            .setParent(parent == null ? Context.root() : Context.root().with(parent))
            .startSpan();
    span.end();
    return span;
  }

  /** The keeper's processor in front of the in-memory exporter, driven directly. */
  private SpanProcessor keeperProcessor() {
    keeper = TraceKeeper.create(true, Duration.ofMillis(500), 2048);
    keeper.bindMetrics(meters.get("test"));
    return keeper.wrap(SimpleSpanProcessor.create(exporter));
  }

  /**
   * Ends {@code child} on another thread while {@code decidingSpan} holds its root's decision (in
   * {@code toSpanData()}), then lets the decision finish. The child's thread may wait for the
   * decision (blocked on the keeper's lock) or run to its end: either is allowed, parking after it
   * is not.
   */
  private void endChildWhileTheRootDecides(
      SpanProcessor processor, ReadableSpan root, PausingSpan decidingSpan, ReadableSpan child)
      throws Exception {
    Thread decider = new Thread(() -> processor.onEnd(root), "root-decides");
    decider.setDaemon(true);
    decider.start();
    assertThat(decidingSpan.reading.await(10, TimeUnit.SECONDS)).as("the root decides").isTrue();
    Thread childThread = new Thread(() -> processor.onEnd(child), "child-ends");
    childThread.setDaemon(true);
    childThread.start();
    Awaitility.await("the child's thread ended or waits for the decision")
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                childThread.getState() == Thread.State.TERMINATED
                    || childThread.getState() == Thread.State.BLOCKED);
    decidingSpan.release.countDown();
    decider.join(10_000);
    childThread.join(10_000);
    assertThat(decider.isAlive()).isFalse();
    assertThat(childThread.isAlive()).isFalse();
  }

  @Test
  void aChildEndingWhileARootWithoutWaitingChildrenDecidesFollowsTheDecision() throws Exception {
    SpanProcessor processor = keeperProcessor();
    Span rootSpan = recorded("root", null);
    PausingSpan root = new PausingSpan(rootSpan);
    Span child = recorded("child", rootSpan);

    endChildWhileTheRootDecides(processor, root, root, (ReadableSpan) child);

    assertThat(keeper.waitingSpans()).as("nothing parked after the decision").isZero();
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void aChildEndingWhileTheRootReadsItsWaitingChildrenIsDecidedWithThem() throws Exception {
    SpanProcessor processor = keeperProcessor();
    Span rootSpan = recorded("root", null);
    PausingSpan first = new PausingSpan(recorded("child-1", rootSpan));
    processor.onEnd(first);
    assertThat(keeper.waitingSpans()).isEqualTo(1);
    Span second = recorded("child-2", rootSpan);

    endChildWhileTheRootDecides(processor, (ReadableSpan) rootSpan, first, (ReadableSpan) second);

    assertThat(keeper.waitingSpans()).as("nothing parked after the decision").isZero();
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
    // Nothing waits to be evicted and counted as keep_buffer_full later: fill the buffer.
    for (int i = 0; i < 2048; i++) {
      Span other = recorded("other-root-" + i, null);
      processor.onEnd((ReadableSpan) recorded("other-" + i, other));
    }
    assertThat(dropped("keep_buffer_full")).isZero();
  }

  @Test
  void longOperationsDoNotPushRequestTracesOutOfTheBuffer() {
    start(0, 2048);
    // Request traces waiting for their roots (a child each), then four long operations.
    List<Span> requests = new java.util.ArrayList<>();
    for (int i = 0; i < 100; i++) {
      Span root = tracer.spanBuilder("request-" + i).startSpan();
      tracer.spanBuilder("query-" + i).setParent(Context.root().with(root)).startSpan().end();
      requests.add(root);
    }
    for (int op = 0; op < 4; op++) {
      Span operation = tracer.spanBuilder("operation-" + op).startSpan();
      for (int step = 0; step < 512; step++) {
        tracer
            .spanBuilder("step-" + op + "-" + step)
            .setParent(Context.root().with(operation))
            .startSpan()
            .end();
      }
    }
    for (Span request : requests) {
      request.setStatus(StatusCode.ERROR).end();
    }

    assertThat(dropped("keep_buffer_full")).isZero();
    Map<String, SpanData> exported = exportedByName();
    for (int i = 0; i < 100; i++) {
      assertThat(exported).containsKeys("request-" + i, "query-" + i);
    }
    assertThat(kept("error")).isEqualTo(100);
    // The long traces got half the buffer between them, besides their first spans each.
    assertThat(keeper.waitingSpans()).isEqualTo(4 * TraceKeeper.LONG_TRACE_FROM + 1024);
  }

  /** A root and {@code children} ended children; the root is returned, not ended. */
  private Span waitingTrace(String name, int children) {
    Span root = tracer.spanBuilder(name).startSpan();
    for (int i = 0; i < children; i++) {
      tracer.spanBuilder(name + "-" + i).setParent(Context.root().with(root)).startSpan().end();
    }
    return root;
  }

  @Test
  void theLongTraceBudgetIsHalfTheBufferAndScalesWithIt() {
    // 64 spans: a quarter (16) per trace, the first 2 of each ordinary, 32 long spans in all.
    start(0, 64);
    waitingTrace("a", 20);
    waitingTrace("b", 20);
    waitingTrace("c", 20);
    assertThat(keeper.waitingSpans()).isEqualTo(16 + 16 + (2 + 32 - 14 - 14));
  }

  @Test
  void aDecidedLongTraceGivesItsShareOfTheBudgetBack() {
    start(0, 2048);
    Span a = waitingTrace("a", 512);
    waitingTrace("b", 512); // 2 × 448 long spans
    a.end(); // dropped: its 448 long spans are free again
    waitingTrace("c", 512); // 448 more: 896
    waitingTrace("d", 512); // 128 left in the budget
    assertThat(keeper.waitingSpans()).isEqualTo(512 + 512 + 64 + 128);
    assertThat(dropped("keep_trace_too_large")).isEqualTo(512 - 64 - 128);
  }
}
