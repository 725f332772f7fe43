package io.ktrdr.telemetry.internal.export;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.LogRecordProcessor;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rebuilt batch processors: their queue-full drops reach the reporter and the SDK alike, the
 * configuration is the one autoconfigure read, and the exporter outlives the processor replaced.
 */
class BatchProcessorsTest {
  private static final int SENT = 100;

  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final SdkMeterProvider meters =
      SdkMeterProvider.builder().registerMetricReader(reader).build();
  private final LongCounter dropped = ExportReporter.droppedCounter(meters.get("test"));
  private final AtomicLong now = new AtomicLong();
  private final ExportReporter spans =
      new ExportReporter("spans", "spans", "span-export", () -> null, () -> dropped, now::get);
  private final ExportReporter logs =
      new ExportReporter("log records", "logs", "log-export", () -> null, () -> dropped, now::get);
  private final CompletableResultCode stuck = new CompletableResultCode();
  private final AtomicInteger shutdowns = new AtomicInteger();

  @AfterEach
  void close() {
    stuck.succeed();
    meters.close();
  }

  private static DefaultConfigProperties config(String prefix, boolean latest) {
    Map<String, String> map = new HashMap<>();
    map.put(prefix + "max.queue.size", "8");
    map.put(prefix + "max.export.batch.size", "4");
    map.put(prefix + "schedule.delay", "60000");
    map.put(prefix + "export.timeout", "60000");
    if (latest) {
      map.put("otel.experimental.sdk.telemetry.version", "latest");
    }
    return DefaultConfigProperties.createFromMap(map);
  }

  /** The sum of {@code name}'s points whose attributes hold {@code key=value}. */
  private <T> long sum(String name, AttributeKey<T> key, T value) {
    long sum = 0;
    for (MetricData metric : reader.collectAllMetrics()) {
      if (metric.getName().equals(name)) {
        for (PointData point : metric.getData().getPoints()) {
          if (value.equals(point.getAttributes().get(key))) {
            sum += ((LongPointData) point).getValue();
          }
        }
      }
    }
    return sum;
  }

  private long reported(String signal) {
    return sum("ktrdr.telemetry.dropped", AttributeKey.stringKey("signal"), signal);
  }

  private SpanExporter stuckSpans() {
    return spans.wrap(
        new SpanExporter() {
          @Override
          public CompletableResultCode export(Collection<SpanData> batch) {
            return stuck;
          }

          @Override
          public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode shutdown() {
            shutdowns.incrementAndGet();
            return CompletableResultCode.ofSuccess();
          }
        });
  }

  private SdkTracerProvider tracersWith(SpanProcessor processor) {
    SdkTracerProvider tracers = SdkTracerProvider.builder().addSpanProcessor(processor).build();
    for (int i = 0; i < SENT; i++) {
      tracers.get("test").spanBuilder("s").startSpan().end();
    }
    return tracers;
  }

  @Test
  void queueFullDropsOfSpansReachTheReporterAndTheSdkAlike() {
    BatchSpanProcessor original = BatchSpanProcessor.builder(stuckSpans()).build();
    SpanProcessor rebuilt =
        BatchProcessors.spans(original, config("otel.bsp.", true), spans, () -> meters);
    assertThat(rebuilt).isNotSameAs(original).isInstanceOf(BatchSpanProcessor.class);
    assertThat(shutdowns).as("the replaced processor left the exporter open").hasValue(0);

    SdkTracerProvider tracers = tracersWith(rebuilt);
    long sdk =
        sum(
            "otel.sdk.processor.span.processed",
            AttributeKey.stringKey("error.type"),
            "queue_full");
    // One batch of 4 waits on the stuck export, 8 fit in the queue: at least 88 are dropped.
    assertThat(sdk).isBetween(88L, (long) SENT - 8);
    assertThat(reported("spans")).isEqualTo(sdk);
    assertThat(
            sum(
                "otel.sdk.processor.span.queue.capacity",
                AttributeKey.stringKey("otel.component.type"),
                "batching_span_processor"))
        .isEqualTo(8);

    stuck.succeed();
    tracers.shutdown().join(10, TimeUnit.SECONDS);
    assertThat(shutdowns).hasValue(1);
  }

  @Test
  void theLegacyInstrumentIsObservedToo() {
    SpanProcessor rebuilt =
        BatchProcessors.spans(
            BatchSpanProcessor.builder(stuckSpans()).build(),
            config("otel.bsp.", false),
            spans,
            () -> meters);
    SdkTracerProvider tracers = tracersWith(rebuilt);
    long sdk = sum("processedSpans", AttributeKey.booleanKey("dropped"), true);
    assertThat(sdk).isBetween(88L, (long) SENT - 8);
    assertThat(reported("spans")).isEqualTo(sdk);
    stuck.succeed();
    tracers.shutdown().join(10, TimeUnit.SECONDS);
  }

  @Test
  void queueFullDropsOfLogRecordsAreReported() {
    LogRecordExporter exporter =
        logs.wrap(
            new LogRecordExporter() {
              @Override
              public CompletableResultCode export(Collection<LogRecordData> batch) {
                return stuck;
              }

              @Override
              public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
              }

              @Override
              public CompletableResultCode shutdown() {
                shutdowns.incrementAndGet();
                return CompletableResultCode.ofSuccess();
              }
            });
    BatchLogRecordProcessor original = BatchLogRecordProcessor.builder(exporter).build();
    LogRecordProcessor rebuilt =
        BatchProcessors.logs(original, config("otel.blrp.", true), logs, () -> meters);
    assertThat(rebuilt).isNotSameAs(original);
    assertThat(shutdowns).hasValue(0);
    SdkLoggerProvider loggers = SdkLoggerProvider.builder().addLogRecordProcessor(rebuilt).build();
    for (int i = 0; i < SENT; i++) {
      loggers.get("test").logRecordBuilder().setBody("x").emit();
    }
    long sdk =
        sum("otel.sdk.processor.log.processed", AttributeKey.stringKey("error.type"), "queue_full");
    assertThat(sdk).isBetween(88L, (long) SENT - 8);
    assertThat(reported("logs")).isEqualTo(sdk);
    stuck.succeed();
    loggers.shutdown().join(10, TimeUnit.SECONDS);
    assertThat(shutdowns).hasValue(1);
  }

  @Test
  void otherProcessorsAreLeftAlone() {
    SpanProcessor simple = SimpleSpanProcessor.create(stuckSpans());
    assertThat(BatchProcessors.spans(simple, config("otel.bsp.", true), spans, () -> meters))
        .isSameAs(simple);
    LogRecordProcessor none = LogRecordProcessor.composite();
    assertThat(BatchProcessors.logs(none, config("otel.blrp.", true), logs, () -> meters))
        .isSameAs(none);
  }

  @Test
  void theObservingProviderPassesEverythingOnOnceTheSdkExists() {
    AtomicReference<MeterProvider> sdk = new AtomicReference<>();
    MeterProvider observing =
        new BatchProcessors.ObservingMeterProvider(sdk::get, "processed", "legacy", spans);
    Meter meter =
        observing
            .meterBuilder("scope")
            .setSchemaUrl("https://s")
            .setInstrumentationVersion("1")
            .build();
    LongCounter early =
        meter.counterBuilder("processed").setUnit("span").setDescription("d").build();
    Attributes full = Attributes.of(AttributeKey.stringKey("error.type"), "queue_full");
    early.add(3, full); // before the SDK exists: reported, not recorded anywhere
    assertThat(reported("spans")).isEqualTo(3);

    sdk.set(meters);
    early.add(2, full, Context.root());
    early.add(5);
    early.add(7, Attributes.empty());
    meter.counterBuilder("other").build().add(1);
    Meter other =
        new BatchProcessors.ObservingMeterProvider(sdk::get, "doubles", "observed", spans)
            .get("other");
    other.counterBuilder("doubles").ofDoubles().build().add(1.5);
    other.counterBuilder("observed").buildWithCallback(m -> m.record(4));
    meter.upDownCounterBuilder("updown").build().add(-1);
    meter.histogramBuilder("histogram").build().record(1);
    meter.gaugeBuilder("gauge").buildWithCallback(m -> m.record(2));
    meter.batchCallback(() -> {}, meter.gaugeBuilder("batched").buildObserver());

    assertThat(reported("spans")).isEqualTo(5);
    Map<String, MetricData> byName = new HashMap<>();
    reader.collectAllMetrics().forEach(m -> byName.put(m.getName(), m));
    assertThat(byName)
        .containsKeys("processed", "other", "doubles", "observed", "updown", "histogram", "gauge");
    MetricData processed = byName.get("processed");
    assertThat(processed.getUnit()).isEqualTo("span");
    assertThat(processed.getDescription()).isEqualTo("d");
    assertThat(processed.getInstrumentationScopeInfo().getVersion()).isEqualTo("1");
    assertThat(processed.getInstrumentationScopeInfo().getSchemaUrl()).isEqualTo("https://s");
    assertThat(processed.getLongSumData().getPoints())
        .extracting(LongPointData::getValue)
        .containsExactlyInAnyOrder(2L, 12L);
  }

  @Test
  void theSettingsAreWhatAutoconfigureReadsAndOnlyThoseSetAreApplied() {
    BatchProcessors.Settings settings =
        BatchProcessors.Settings.read(config("otel.bsp.", false), "otel.bsp.");
    assertThat(settings)
        .isEqualTo(
            new BatchProcessors.Settings(
                java.time.Duration.ofMinutes(1), 8, 4, java.time.Duration.ofMinutes(1)));
    java.util.List<Object> applied = new java.util.ArrayList<>();
    settings.apply(applied::add, applied::add, applied::add, applied::add);
    assertThat(applied)
        .containsExactly(java.time.Duration.ofMinutes(1), 8, 4, java.time.Duration.ofMinutes(1));
    applied.clear();
    BatchProcessors.Settings.read(DefaultConfigProperties.createFromMap(Map.of()), "otel.bsp.")
        .apply(applied::add, applied::add, applied::add, applied::add);
    assertThat(applied).isEmpty();
  }

  private static java.util.Set<Thread> workerThreads() {
    java.util.Set<Thread> threads = new java.util.HashSet<>();
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (thread.getName().startsWith("BatchSpanProcessor_WorkerThread") && thread.isAlive()) {
        threads.add(thread);
      }
    }
    return threads;
  }

  @Test
  void theReplacedProcessorStopsItsThread() {
    java.util.Set<Thread> before = workerThreads();
    BatchSpanProcessor original = BatchSpanProcessor.builder(stuckSpans()).build();
    SpanProcessor rebuilt =
        BatchProcessors.spans(original, config("otel.bsp.", true), spans, () -> meters);
    io.ktrdr.telemetry.testing.Await.until(
        "one new worker thread, not two",
        java.time.Duration.ofSeconds(10),
        () -> {
          java.util.Set<Thread> added = workerThreads();
          added.removeAll(before);
          return added.size() == 1;
        });
    rebuilt.shutdown().join(10, TimeUnit.SECONDS);
  }
}
