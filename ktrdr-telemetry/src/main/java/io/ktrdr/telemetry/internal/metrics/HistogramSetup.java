package io.ktrdr.telemetry.internal.metrics;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.Base2ExponentialHistogramOptions;
import io.opentelemetry.sdk.metrics.InstrumentSelector;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProviderBuilder;
import io.opentelemetry.sdk.metrics.View;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.NativeHistogramBuckets;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Applies the histogram modes (the public {@code HistogramMode}, mirrored by {@link Mode}) with one
 * aggregation per instrument, so that every scrape is consistent: the reader's default histogram
 * aggregation follows the default mode, a view per overridden instrument follows its own mode, and
 * for {@code BOTH} the classic buckets are derived from the native buckets when the registry is
 * collected.
 *
 * <p>Why derived and not recorded twice: a second aggregation of the same measurements is collected
 * at a slightly different instant, so under traffic its count would differ from the native count,
 * which Prometheus' data model rejects. Classic boundaries at powers of two are also boundaries of
 * every native bucket layout with a non-negative scale, so the derived counts are exact.
 */
public final class HistogramSetup {
  /** The histogram modes, as {@code io.ktrdr.telemetry.HistogramMode} spells them. */
  public enum Mode {
    CLASSIC,
    NATIVE,
    BOTH
  }

  /**
   * Classic boundaries, as powers of two {@code [2^min, 2^max]}, of the library's own histograms in
   * {@code BOTH} mode. HTTP durations: about 4 ms to 16 s; operations: 0.5 s to about 68 min.
   */
  private static final Map<String, int[]> CLASSIC_EXPONENTS =
      Map.of(
          "http_server_request_duration_seconds", new int[] {-8, 4},
          "http_client_request_duration_seconds", new int[] {-8, 4},
          "ktrdr_operation_duration_seconds", new int[] {-1, 12});

  /** Classic boundaries of other histograms in {@code BOTH} mode: about 1 ms to 68 min. */
  static final int[] DEFAULT_CLASSIC_EXPONENTS = {-10, 12};

  private final Mode defaultMode;
  private final Map<String, Mode> overrides;
  private final Aggregation exponential;
  private final Map<String, Mode> modeByMetricName = new ConcurrentHashMap<>();

  public HistogramSetup(
      Mode defaultMode, Map<String, Mode> overrides, int maxBuckets, int maxScale) {
    this.defaultMode = defaultMode;
    this.overrides = Map.copyOf(overrides);
    this.exponential =
        Aggregation.base2ExponentialBucketHistogram(
            Base2ExponentialHistogramOptions.builder()
                .setMaxBuckets(maxBuckets)
                .setMaxScale(maxScale)
                .build());
  }

  /** {@code reader} with the default mode's aggregation for histograms. */
  public MetricReader reader(MetricReader reader) {
    return new ModeReader(
        reader, defaultMode == Mode.CLASSIC ? Aggregation.defaultAggregation() : exponential);
  }

  /**
   * A view per overridden instrument, with the reader's cardinality limit (a view has its own);
   * {@code CLASSIC} keeps the instrument's bucket advice.
   */
  public void registerViews(SdkMeterProviderBuilder meters, int cardinalityLimit) {
    overrides.forEach(
        (instrument, mode) ->
            meters.registerView(
                InstrumentSelector.builder()
                    .setName(instrument)
                    .setType(InstrumentType.HISTOGRAM)
                    .build(),
                View.builder()
                    .setCardinalityLimit(cardinalityLimit)
                    .setAggregation(
                        mode == Mode.CLASSIC ? Aggregation.defaultAggregation() : exponential)
                    .build()));
  }

  /** What the registry collects from {@code collector}: native histograms completed per mode. */
  public MultiCollector collector(MultiCollector collector) {
    boolean derives = defaultMode == Mode.BOTH || overrides.containsValue(Mode.BOTH);
    return derives ? () -> complete(collector.collect()) : collector;
  }

  private MetricSnapshots complete(MetricSnapshots snapshots) {
    MetricSnapshots.Builder result = MetricSnapshots.builder();
    for (MetricSnapshot snapshot : snapshots) {
      if (snapshot instanceof HistogramSnapshot histogram
          && mode(histogram.getMetadata()) == Mode.BOTH) {
        result.metricSnapshot(withClassicBuckets(histogram));
      } else {
        result.metricSnapshot(snapshot);
      }
    }
    return result.build();
  }

  /**
   * The mode of a histogram: its instrument's override, else the default. The override's instrument
   * name is matched in its Prometheus spelling, with or without the unit suffix the exporter
   * appends, exactly.
   */
  Mode mode(MetricMetadata metadata) {
    return modeByMetricName.computeIfAbsent(
        metadata.getPrometheusName(),
        name -> {
          for (Map.Entry<String, Mode> override : overrides.entrySet()) {
            String base =
                PrometheusNaming.prometheusName(
                    PrometheusNaming.sanitizeMetricName(override.getKey()));
            String unit = metadata.hasUnit() ? "_" + metadata.getUnit() : "";
            if (name.equals(base) || (!base.endsWith(unit) && name.equals(base + unit))) {
              return override.getValue();
            }
          }
          return defaultMode;
        });
  }

  private static HistogramSnapshot withClassicBuckets(HistogramSnapshot histogram) {
    int[] exponents =
        CLASSIC_EXPONENTS.getOrDefault(
            histogram.getMetadata().getPrometheusName(), DEFAULT_CLASSIC_EXPONENTS);
    List<HistogramDataPointSnapshot> points = new ArrayList<>(histogram.getDataPoints().size());
    for (HistogramDataPointSnapshot point : histogram.getDataPoints()) {
      if (!point.hasNativeHistogramData() || point.hasClassicHistogramData()) {
        points.add(point);
        continue;
      }
      points.add(
          new HistogramDataPointSnapshot(
              classicBuckets(point, exponents[0], exponents[1]),
              point.getNativeSchema(),
              point.getNativeZeroCount(),
              point.getNativeZeroThreshold(),
              point.getNativeBucketsForPositiveValues(),
              point.getNativeBucketsForNegativeValues(),
              point.hasSum() ? point.getSum() : Double.NaN,
              point.getLabels(),
              point.getExemplars(),
              point.hasCreatedTimestamp() ? point.getCreatedTimestampMillis() : 0L));
    }
    return new HistogramSnapshot(histogram.getMetadata(), points);
  }

  /**
   * Classic buckets with upper bounds {@code 2^k}, {@code minExponent <= k <= maxExponent}, and
   * {@code +Inf}, counted exactly from a native histogram. Native bucket {@code i} of schema {@code
   * s} covers {@code (2^((i-1)/2^s), 2^(i/2^s)]}, so {@code 2^k} is a native boundary for every
   * {@code k} when {@code s >= 0}, and for every multiple of {@code 2^-s} otherwise (only those are
   * emitted then). Zero and negative observations are below every bound.
   */
  static ClassicHistogramBuckets classicBuckets(
      HistogramDataPointSnapshot point, int minExponent, int maxExponent) {
    int schema = point.getNativeSchema();
    long cumulative = point.getNativeZeroCount();
    NativeHistogramBuckets negative = point.getNativeBucketsForNegativeValues();
    for (int i = 0; i < negative.size(); i++) {
      cumulative += negative.getCount(i);
    }
    NativeHistogramBuckets positive = point.getNativeBucketsForPositiveValues();
    double[] upperBounds = new double[maxExponent - minExponent + 2];
    long[] counts = new long[upperBounds.length];
    int size = 0;
    long emitted = 0;
    int next = 0;
    for (int k = minExponent; k <= maxExponent; k++) {
      long lastIndex;
      if (schema >= 0) {
        lastIndex = (long) k << schema;
      } else {
        int factor = 1 << -schema;
        if (Math.floorMod(k, factor) != 0) {
          continue;
        }
        lastIndex = Math.floorDiv(k, factor);
      }
      while (next < positive.size() && positive.getBucketIndex(next) <= lastIndex) {
        cumulative += positive.getCount(next++);
      }
      upperBounds[size] = Math.scalb(1.0, k);
      counts[size++] = cumulative - emitted;
      emitted = cumulative;
    }
    while (next < positive.size()) {
      cumulative += positive.getCount(next++);
    }
    upperBounds[size] = Double.POSITIVE_INFINITY;
    counts[size++] = cumulative - emitted;
    return ClassicHistogramBuckets.of(
        Arrays.copyOf(upperBounds, size), Arrays.copyOf(counts, size));
  }

  /** A reader whose default histogram aggregation is the mode's; the rest is the delegate's. */
  private static final class ModeReader implements MetricReader {
    private final MetricReader delegate;
    private final Aggregation histogramAggregation;

    ModeReader(MetricReader delegate, Aggregation histogramAggregation) {
      this.delegate = delegate;
      this.histogramAggregation = histogramAggregation;
    }

    @Override
    public void register(CollectionRegistration registration) {
      delegate.register(registration);
    }

    @Override
    public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
      return delegate.getAggregationTemporality(instrumentType);
    }

    @Override
    public Aggregation getDefaultAggregation(InstrumentType instrumentType) {
      return instrumentType == InstrumentType.HISTOGRAM
          ? histogramAggregation
          : delegate.getDefaultAggregation(instrumentType);
    }

    @Override
    public MemoryMode getMemoryMode() {
      return delegate.getMemoryMode();
    }

    @Override
    public CompletableResultCode forceFlush() {
      return delegate.forceFlush();
    }

    @Override
    public CompletableResultCode shutdown() {
      return delegate.shutdown();
    }

    @Override
    public String toString() {
      return delegate.toString();
    }
  }
}
