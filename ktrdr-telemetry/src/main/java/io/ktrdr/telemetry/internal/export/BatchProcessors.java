package io.ktrdr.telemetry.internal.export;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.BatchCallback;
import io.opentelemetry.api.metrics.DoubleCounterBuilder;
import io.opentelemetry.api.metrics.DoubleGaugeBuilder;
import io.opentelemetry.api.metrics.DoubleHistogramBuilder;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongCounterBuilder;
import io.opentelemetry.api.metrics.LongUpDownCounterBuilder;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterBuilder;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.metrics.ObservableLongCounter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import io.opentelemetry.api.metrics.ObservableMeasurement;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.common.InternalTelemetryVersion;
import io.opentelemetry.sdk.logs.LogRecordProcessor;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessorBuilder;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessorBuilder;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Makes the batch processors autoconfigure built report what they drop for a full queue to an
 * {@link ExportReporter}. The SDK counts those drops only in its own instrument ({@code
 * otel.sdk.processor.span.processed{error.type="queue_full"}}, legacy {@code
 * processedSpans{dropped=true}}), recorded through the {@link MeterProvider} given to the
 * processor's builder. autoconfigure gives the processor the SDK's provider and offers no hook in
 * between, so each batch processor is built again from the same configuration ({@code OTEL_BSP_*},
 * {@code OTEL_BLRP_*}) and exporter, with a provider that passes every measurement on to the SDK
 * and tells the reporter about queue-full drops. The processor autoconfigure built is shut down (it
 * has seen nothing yet) without shutting the shared exporter down.
 *
 * <p>Internal: not part of the public API.
 */
public final class BatchProcessors {
  private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  private static final AttributeKey<Boolean> LEGACY_DROPPED = AttributeKey.booleanKey("dropped");
  private static final long HAND_OVER_MILLIS = 5_000;

  private BatchProcessors() {}

  /** {@code processor} again, reporting queue-full drops, when it is a batch span processor. */
  public static SpanProcessor spans(
      SpanProcessor processor,
      ConfigProperties config,
      ExportReporter reporter,
      Supplier<@Nullable MeterProvider> sdkMeters) {
    if (!(processor instanceof BatchSpanProcessor)) {
      return processor;
    }
    BatchSpanProcessor original = (BatchSpanProcessor) processor;
    Settings settings = Settings.read(config, "otel.bsp.");
    BatchSpanProcessorBuilder builder =
        BatchSpanProcessor.builder(original.getSpanExporter())
            .setMeterProvider(
                new ObservingMeterProvider(
                    sdkMeters, "otel.sdk.processor.span.processed", "processedSpans", reporter))
            .setInternalTelemetryVersion(version(config));
    settings.apply(
        builder::setScheduleDelay,
        builder::setMaxQueueSize,
        builder::setMaxExportBatchSize,
        builder::setExporterTimeout);
    BatchSpanProcessor rebuilt = builder.build();
    reporter.handOver(() -> original.shutdown().join(HAND_OVER_MILLIS, TimeUnit.MILLISECONDS));
    return rebuilt;
  }

  /** {@code processor} again, reporting queue-full drops, when it is a batch log processor. */
  public static LogRecordProcessor logs(
      LogRecordProcessor processor,
      ConfigProperties config,
      ExportReporter reporter,
      Supplier<@Nullable MeterProvider> sdkMeters) {
    if (!(processor instanceof BatchLogRecordProcessor)) {
      return processor;
    }
    BatchLogRecordProcessor original = (BatchLogRecordProcessor) processor;
    Settings settings = Settings.read(config, "otel.blrp.");
    BatchLogRecordProcessorBuilder builder =
        BatchLogRecordProcessor.builder(original.getLogRecordExporter())
            .setMeterProvider(
                new ObservingMeterProvider(
                    sdkMeters, "otel.sdk.processor.log.processed", "processedLogs", reporter))
            .setInternalTelemetryVersion(version(config));
    settings.apply(
        builder::setScheduleDelay,
        builder::setMaxQueueSize,
        builder::setMaxExportBatchSize,
        builder::setExporterTimeout);
    BatchLogRecordProcessor rebuilt = builder.build();
    reporter.handOver(() -> original.shutdown().join(HAND_OVER_MILLIS, TimeUnit.MILLISECONDS));
    return rebuilt;
  }

  /** What autoconfigure reads for a batch processor ({@code otel.bsp.*}, {@code otel.blrp.*}). */
  record Settings(
      @Nullable Duration scheduleDelay,
      @Nullable Integer maxQueue,
      @Nullable Integer maxBatch,
      @Nullable Duration timeout) {
    static Settings read(ConfigProperties config, String prefix) {
      return new Settings(
          config.getDuration(prefix + "schedule.delay"),
          config.getInt(prefix + "max.queue.size"),
          config.getInt(prefix + "max.export.batch.size"),
          config.getDuration(prefix + "export.timeout"));
    }

    /** Sets what was configured; the rest keeps the SDK's defaults, as with autoconfigure. */
    void apply(
        Consumer<Duration> scheduleDelay,
        IntConsumer maxQueue,
        IntConsumer maxBatch,
        Consumer<Duration> timeout) {
      if (this.scheduleDelay != null) {
        scheduleDelay.accept(this.scheduleDelay);
      }
      if (this.maxQueue != null) {
        maxQueue.accept(this.maxQueue);
      }
      if (this.maxBatch != null) {
        maxBatch.accept(this.maxBatch);
      }
      if (this.timeout != null) {
        timeout.accept(this.timeout);
      }
    }
  }

  /** The SDK's internal-telemetry version, as autoconfigure reads it (default: legacy). */
  private static InternalTelemetryVersion version(ConfigProperties config) {
    String version = config.getString("otel.experimental.sdk.telemetry.version", "legacy");
    return version.toLowerCase(Locale.ROOT).equals("legacy")
        ? InternalTelemetryVersion.LEGACY
        : InternalTelemetryVersion.LATEST;
  }

  /** Whether a measurement of the processed counter is a drop for a full queue. */
  static boolean queueFull(Attributes attributes) {
    return "queue_full".equals(attributes.get(ERROR_TYPE))
        || Boolean.TRUE.equals(attributes.get(LEGACY_DROPPED));
  }

  /**
   * The SDK's meter provider (once it exists: the processors are built before it is), except that
   * the processor's {@code processed} counter also tells the reporter about queue-full drops.
   */
  static final class ObservingMeterProvider implements MeterProvider {
    private final Supplier<@Nullable MeterProvider> sdk;
    private final String processed;
    private final String legacyProcessed;
    private final ExportReporter reporter;

    ObservingMeterProvider(
        Supplier<@Nullable MeterProvider> sdk,
        String processed,
        String legacyProcessed,
        ExportReporter reporter) {
      this.sdk = sdk;
      this.processed = processed;
      this.legacyProcessed = legacyProcessed;
      this.reporter = reporter;
    }

    @Override
    public MeterBuilder meterBuilder(String scope) {
      return new MeterBuilder() {
        private @Nullable String schemaUrl;
        private @Nullable String version;

        @Override
        public MeterBuilder setSchemaUrl(String schemaUrl) {
          this.schemaUrl = schemaUrl;
          return this;
        }

        @Override
        public MeterBuilder setInstrumentationVersion(String version) {
          this.version = version;
          return this;
        }

        @Override
        public Meter build() {
          return new ObservingMeter(() -> sdkMeter(scope, schemaUrl, version));
        }
      };
    }

    private @Nullable Meter sdkMeter(
        String scope, @Nullable String schemaUrl, @Nullable String version) {
      MeterProvider provider = sdk.get();
      if (provider == null) {
        return null;
      }
      MeterBuilder builder = provider.meterBuilder(scope);
      if (schemaUrl != null) {
        builder.setSchemaUrl(schemaUrl);
      }
      if (version != null) {
        builder.setInstrumentationVersion(version);
      }
      return builder.build();
    }

    private final class ObservingMeter implements Meter {
      private final Supplier<@Nullable Meter> lookup;
      private volatile @Nullable Meter delegate;

      ObservingMeter(Supplier<@Nullable Meter> lookup) {
        this.lookup = lookup;
      }

      /** The SDK's meter, or a no-op one (not kept) while the SDK is being built. */
      Meter delegate() {
        Meter current = delegate;
        if (current == null) {
          current = lookup.get();
          if (current == null) {
            return MeterProvider.noop().get("ktrdr-not-yet");
          }
          delegate = current;
        }
        return current;
      }

      @Override
      public LongCounterBuilder counterBuilder(String name) {
        if (name.equals(processed) || name.equals(legacyProcessed)) {
          return new ObservingCounterBuilder(this, name);
        }
        return delegate().counterBuilder(name);
      }

      @Override
      public LongUpDownCounterBuilder upDownCounterBuilder(String name) {
        return delegate().upDownCounterBuilder(name);
      }

      @Override
      public DoubleHistogramBuilder histogramBuilder(String name) {
        return delegate().histogramBuilder(name);
      }

      @Override
      public DoubleGaugeBuilder gaugeBuilder(String name) {
        return delegate().gaugeBuilder(name);
      }

      @Override
      public BatchCallback batchCallback(
          Runnable callback,
          ObservableMeasurement observableMeasurement,
          ObservableMeasurement... additionalMeasurements) {
        return delegate().batchCallback(callback, observableMeasurement, additionalMeasurements);
      }
    }

    private final class ObservingCounterBuilder implements LongCounterBuilder {
      private final ObservingMeter meter;
      private final String name;
      private @Nullable String description;
      private @Nullable String unit;

      ObservingCounterBuilder(ObservingMeter meter, String name) {
        this.meter = meter;
        this.name = name;
      }

      @Override
      public LongCounterBuilder setDescription(String description) {
        this.description = description;
        return this;
      }

      @Override
      public LongCounterBuilder setUnit(String unit) {
        this.unit = unit;
        return this;
      }

      /** The SDK's builder with what was set here. */
      LongCounterBuilder sdkBuilder() {
        LongCounterBuilder builder = meter.delegate().counterBuilder(name);
        if (description != null) {
          builder.setDescription(description);
        }
        if (unit != null) {
          builder.setUnit(unit);
        }
        return builder;
      }

      @Override
      public DoubleCounterBuilder ofDoubles() {
        return sdkBuilder().ofDoubles();
      }

      @Override
      public LongCounter build() {
        return new ObservingCounter(this);
      }

      @Override
      public ObservableLongCounter buildWithCallback(Consumer<ObservableLongMeasurement> callback) {
        return sdkBuilder().buildWithCallback(callback);
      }
    }

    /** The processor's counter: every measurement goes to the SDK; queue-full drops also here. */
    private final class ObservingCounter implements LongCounter {
      private final ObservingCounterBuilder builder;
      private volatile @Nullable LongCounter delegate;

      ObservingCounter(ObservingCounterBuilder builder) {
        this.builder = builder;
      }

      private LongCounter delegate() {
        LongCounter current = delegate;
        if (current == null) {
          boolean sdkReady = builder.meter.delegate != null || builder.meter.lookup.get() != null;
          current = builder.sdkBuilder().build();
          if (sdkReady) {
            delegate = current;
          }
        }
        return current;
      }

      @Override
      public void add(long value) {
        delegate().add(value);
      }

      @Override
      public void add(long value, Attributes attributes) {
        observe(value, attributes);
        delegate().add(value, attributes);
      }

      @Override
      public void add(long value, Attributes attributes, Context context) {
        observe(value, attributes);
        delegate().add(value, attributes, context);
      }

      private void observe(long value, Attributes attributes) {
        if (queueFull(attributes)) {
          reporter.queueFull(value);
        }
      }
    }
  }
}
