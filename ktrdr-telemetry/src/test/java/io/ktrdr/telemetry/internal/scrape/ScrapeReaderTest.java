package io.ktrdr.telemetry.internal.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.fixtures.BlockingGauge;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentSelector;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.View;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.DoubleExemplarData;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableDoubleExemplarData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableExponentialHistogramBuckets;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableExponentialHistogramData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableExponentialHistogramPointData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableGaugeData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableHistogramData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableHistogramPointData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableLongPointData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableMetricData;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.time.TestClock;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * {@link ScrapeReader} must write exactly what opentelemetry-java's stock {@link
 * PrometheusMetricReader} writes: both read the same data here and their bodies are compared in
 * every format. One deliberate difference: {@code target_info} has a HELP line (the stock reader
 * writes none, and {@code promtool check metrics} reports it), added to the stock side here too.
 */
class ScrapeReaderTest {
  private static final ExpositionFormats FORMATS = ExpositionFormats.init();
  private static final Resource RESOURCE =
      Resource.create(
          Attributes.of(
              AttributeKey.stringKey("service.name"), "shop",
              AttributeKey.stringKey("service.version"), "1.2"));
  private static final InstrumentationScopeInfo HTTP =
      InstrumentationScopeInfo.builder("io.ktrdr.http")
          .setVersion("0.1")
          .setSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
          .setAttributes(Attributes.of(AttributeKey.stringKey("team"), "core"))
          .build();
  private static final InstrumentationScopeInfo OTHER = InstrumentationScopeInfo.create("other");
  private static final List<Double> BOUNDS = List.of(0.005, 0.01, 0.1, 1.0);
  private static final SpanContext SPAN =
      SpanContext.create(
          "0af7651916cd43dd8448eb211c80319c",
          "b7ad6b7169203331",
          TraceFlags.getSampled(),
          TraceState.getDefault());

  /** Both readers over one hand-made list of metric data. */
  private static final class Pair {
    final List<MetricData> data = new ArrayList<>();
    final ScrapeReader reader;
    final PrometheusMetricReader stock;

    Pair() {
      this(true);
    }

    /** Both readers writing the {@code otel_scope_*} labels, or neither. */
    Pair(boolean scopeLabels) {
      reader = new ScrapeReader(ScrapeReader.DEFAULT_LOCK_TIMEOUT, scopeLabels);
      stock = PrometheusMetricReader.builder().setOtelScopeLabelsEnabled(scopeLabels).build();
      CollectionRegistration registration =
          new CollectionRegistration() {
            @Override
            public Collection<MetricData> collectAllMetrics() {
              return data;
            }
          };
      reader.register(registration);
      stock.register(registration);
    }

    void assertSame() throws IOException {
      assertSameBodies(reader, stock);
    }
  }

  private static void assertSameBodies(MultiCollector reader, MultiCollector stock)
      throws IOException {
    MetricSnapshots ours = reader.collect();
    List<MetricSnapshot> helped = new ArrayList<>();
    for (MetricSnapshot snapshot : stock.collect()) {
      helped.add(ScrapeReader.withTargetInfoHelp(snapshot));
    }
    MetricSnapshots theirs = new MetricSnapshots(helped);
    assertThat(ours.stream().filter(s -> s.getMetadata().getPrometheusName().equals("target")))
        .allMatch(s -> ScrapeReader.TARGET_INFO_HELP.equals(s.getMetadata().getHelp()));
    assertThat(text(ours, "application/openmetrics-text; version=1.0.0"))
        .isEqualTo(text(theirs, "application/openmetrics-text; version=1.0.0"));
    assertThat(text(ours, "text/plain; version=0.0.4"))
        .isEqualTo(text(theirs, "text/plain; version=0.0.4"));
    assertThat(body(ours, PROTOBUF)).isEqualTo(body(theirs, PROTOBUF));
  }

  private static final String PROTOBUF =
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

  private static byte[] body(MetricSnapshots snapshots, String accept) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    FORMATS.findWriter(accept).write(out, snapshots);
    return out.toByteArray();
  }

  private static String text(MetricSnapshots snapshots, String accept) throws IOException {
    return new String(body(snapshots, accept), StandardCharsets.UTF_8);
  }

  private static MetricData histogram(
      InstrumentationScopeInfo scope, String name, String unit, List<HistogramPointData> points) {
    return histogram(RESOURCE, scope, name, unit, points);
  }

  private static MetricData histogram(
      Resource resource,
      InstrumentationScopeInfo scope,
      String name,
      String unit,
      List<HistogramPointData> points) {
    return ImmutableMetricData.createDoubleHistogram(
        resource,
        scope,
        name,
        "Durations.",
        unit,
        ImmutableHistogramData.create(AggregationTemporality.CUMULATIVE, points));
  }

  private static HistogramPointData point(
      Attributes attributes, long base, List<DoubleExemplarData> exemplars) {
    List<Long> counts = List.of(base, base + 1, 0L, 2L, 1L);
    double sum = 0.25 * base + 0.5;
    return ImmutableHistogramPointData.create(
        1_700_000_000_123_456_789L,
        1_700_000_060_000_000_000L,
        attributes,
        sum,
        false,
        0,
        false,
        0,
        BOUNDS,
        counts,
        exemplars);
  }

  private static Attributes route(int i) {
    return Attributes.of(
        AttributeKey.stringKey("http.request.method"), i % 3 == 0 ? "POST" : "GET",
        AttributeKey.stringKey("http.route"), "/r/" + i,
        AttributeKey.longKey("http.response.status_code"), 200L + i % 5);
  }

  private static List<HistogramPointData> points(int from, int to) {
    List<HistogramPointData> points = new ArrayList<>();
    for (int i = from; i < to; i++) {
      points.add(point(route(i), i, List.of()));
    }
    return points;
  }

  @Test
  void classicHistogramsAreWrittenAsTheStockReaderWritesThem() throws IOException {
    Pair pair = new Pair();
    pair.data.add(histogram(HTTP, "http.server.request.duration", "s", points(0, 50)));
    pair.data.add(
        ImmutableMetricData.createLongGauge(
            RESOURCE,
            OTHER,
            "queue.depth",
            "Queued.",
            "{item}",
            ImmutableGaugeData.create(
                List.of(
                    ImmutableLongPointData.create(
                        0, 1, Attributes.of(AttributeKey.stringKey("queue"), "a"), 3)))));
    pair.assertSame();
    // Again from the cached labels, and with new series and changed counts.
    pair.assertSame();
    assertThat(pair.reader.fastMetrics()).containsExactly("http_server_request_duration_seconds");
    pair.data.set(0, histogram(HTTP, "http.server.request.duration", "s", points(10, 80)));
    pair.assertSame();
    assertThat(pair.reader.fastMetrics()).containsExactly("http_server_request_duration_seconds");
    assertThat(pair.reader.cachedSeries()).isEqualTo(80);
  }

  @Test
  void withoutScopeLabelsTheBodyIsTheStockReadersWithoutThem() throws IOException {
    Pair pair = new Pair(false);
    pair.data.add(histogram(HTTP, "http.server.request.duration", "s", points(0, 20)));
    pair.assertSame();
    pair.assertSame();
    assertThat(pair.reader.fastMetrics()).containsExactly("http_server_request_duration_seconds");
    String body = text(pair.reader.collect(), "text/plain; version=0.0.4");
    assertThat(body)
        .contains("http_server_request_duration_seconds_bucket{")
        .doesNotContain("otel_scope_");

    Pair scoped = new Pair();
    scoped.data.add(histogram(HTTP, "http.server.request.duration", "s", points(0, 20)));
    assertThat(text(scoped.reader.collect(), "text/plain; version=0.0.4"))
        .contains("otel_scope_name=\"" + HTTP.getName() + "\"");
  }

  @Test
  void exemplarsWithAndWithoutSpanAndOnlyHistograms() throws IOException {
    Pair pair = new Pair();
    List<HistogramPointData> points = new ArrayList<>(points(0, 5));
    points.add(
        point(
            route(7),
            7,
            List.of(
                ImmutableDoubleExemplarData.create(
                    Attributes.empty(), 1_700_000_030_000_000_000L, SPAN, 0.007),
                ImmutableDoubleExemplarData.create(
                    Attributes.empty(),
                    1_700_000_031_000_000_000L,
                    SpanContext.getInvalid(),
                    0.5))));
    pair.data.add(histogram(HTTP, "rpc.duration", "ms", points));
    // Only histograms: target_info comes from this reader alone.
    pair.assertSame();
    assertThat(pair.reader.fastMetrics()).containsExactly("rpc_duration_milliseconds");
    assertThat(text(pair.reader.collect(), "text/plain; version=0.0.4"))
        .contains("target_info{service_name=\"shop\",service_version=\"1.2\"} 1");
  }

  @Test
  void whatTheFastPathCannotProveGoesToTheStockConverter() throws IOException {
    Pair pair = new Pair();
    // An exemplar with filtered attributes.
    pair.data.add(
        histogram(
            HTTP,
            "filtered",
            "s",
            List.of(
                point(
                    route(1),
                    1,
                    List.of(
                        ImmutableDoubleExemplarData.create(
                            Attributes.of(AttributeKey.stringKey("user"), "u1"),
                            1_700_000_030_000_000_000L,
                            SPAN,
                            0.02))))));
    // The same name in two scopes: merged by the stock converter.
    pair.data.add(histogram(HTTP, "shared", "s", points(0, 3)));
    pair.data.add(histogram(OTHER, "shared", "s", points(3, 6)));
    // A histogram and a gauge with one Prometheus name.
    pair.data.add(histogram(OTHER, "clash", "s", points(0, 2)));
    pair.data.add(clashingGauge());
    pair.assertSame();
    assertThat(pair.reader.fastMetrics()).isEmpty();
  }

  @Test
  void aNameClashWithAStockMetricIsDecidedByTheStockConverter() throws IOException {
    Pair pair = new Pair();
    pair.data.add(histogram(OTHER, "clash", "s", points(0, 2)));
    pair.data.add(clashingGauge());
    pair.assertSame();
    assertThat(pair.reader.collect().stream().map(s -> s.getMetadata().getPrometheusName()))
        .containsOnlyOnce("clash_seconds");
    assertThat(pair.reader.fastMetrics()).isEmpty();
  }

  /** A gauge whose Prometheus name is the "clash" histogram's. */
  private static MetricData clashingGauge() {
    return ImmutableMetricData.createLongGauge(
        RESOURCE,
        OTHER,
        "clash_seconds",
        "",
        "",
        ImmutableGaugeData.create(List.of(ImmutableLongPointData.create(0, 1, route(1), 3))));
  }

  @Test
  void attributeSetsWithTheSameLabelsDropTheMetricLikeTheStockConverter() throws IOException {
    Pair pair = new Pair();
    Attributes dotted = Attributes.of(AttributeKey.stringKey("a.b"), "1");
    Attributes underscored = Attributes.of(AttributeKey.stringKey("a_b"), "1");
    pair.data.add(histogram(HTTP, "dup", "s", List.of(point(dotted, 1, List.of()))));
    pair.assertSame();
    // Learned in two scrapes: the clash shows only when the snapshot is built.
    pair.data.set(
        0,
        histogram(
            HTTP,
            "dup",
            "s",
            List.of(point(dotted, 1, List.of()), point(underscored, 2, List.of()))));
    pair.assertSame();
    assertThat(text(pair.reader.collect(), "text/plain; version=0.0.4")).doesNotContain("dup_");
    // Both in one scrape of a fresh reader.
    Pair fresh = new Pair();
    fresh.data.addAll(pair.data);
    fresh.assertSame();
  }

  @Test
  void deltaAndInvalidHistogramsAndUnconvertibleNames() throws IOException {
    Pair pair = new Pair();
    pair.data.add(
        ImmutableMetricData.createDoubleHistogram(
            RESOURCE,
            HTTP,
            "delta",
            "",
            "s",
            ImmutableHistogramData.create(AggregationTemporality.DELTA, points(0, 2))));
    pair.data.add(histogram(HTTP, "__", "s", points(0, 2)));
    pair.data.add(
        histogram(
            HTTP,
            "bad.counts",
            "s",
            List.of(
                ImmutableHistogramPointData.create(
                    0,
                    1,
                    route(1),
                    1,
                    false,
                    0,
                    false,
                    0,
                    List.of(1.0, 2.0),
                    List.of(1L, -5L, 1L)))));
    pair.data.add(histogram(HTTP, "kept", "s", points(0, 2)));
    pair.assertSame();
    pair.assertSame();
    assertThat(pair.reader.fastMetrics()).containsExactlyInAnyOrder("kept_seconds", "__seconds");
  }

  private static MetricData exponential(String name, int scale, int offset, List<Long> counts) {
    return ImmutableMetricData.createExponentialHistogram(
        RESOURCE,
        HTTP,
        name,
        "Native.",
        "s",
        ImmutableExponentialHistogramData.create(
            AggregationTemporality.CUMULATIVE,
            List.of(
                ImmutableExponentialHistogramPointData.create(
                    scale,
                    12.5,
                    2,
                    false,
                    0,
                    false,
                    0,
                    ImmutableExponentialHistogramBuckets.create(scale, offset, counts),
                    ImmutableExponentialHistogramBuckets.create(
                        scale, -offset, List.of(1L, 0L, 4L)),
                    1_700_000_000_123_456_789L,
                    1_700_000_060_000_000_000L,
                    route(1),
                    List.of(
                        ImmutableDoubleExemplarData.create(
                            Attributes.empty(), 1_700_000_030_000_000_000L, SPAN, 0.3))),
                ImmutableExponentialHistogramPointData.create(
                    scale,
                    0,
                    0,
                    false,
                    0,
                    false,
                    0,
                    ImmutableExponentialHistogramBuckets.create(scale, 0, List.of()),
                    ImmutableExponentialHistogramBuckets.create(scale, 0, List.of()),
                    1_700_000_000_123_456_789L,
                    1_700_000_060_000_000_000L,
                    route(2),
                    List.of()))));
  }

  @Test
  void nativeHistogramsAtEveryScaleAreWrittenAsTheStockReaderWritesThem() throws IOException {
    Pair pair = new Pair();
    List<Long> counts = List.of(3L, 0L, 5L, 1L, 1L, 2L, 7L, 0L, 9L);
    pair.data.add(exponential("scale.three", 3, -7, counts));
    pair.data.add(exponential("scale.eight", 8, 5, counts));
    // Reduced to 8 by merging 4 and 2 neighbours, from negative and positive offsets.
    pair.data.add(exponential("scale.ten", 10, -6, counts));
    pair.data.add(exponential("scale.nine", 9, 3, counts));
    pair.data.add(exponential("scale.minus.four", -4, -2, counts));
    // Below -4: refused.
    pair.data.add(exponential("scale.minus.five", -5, 1, counts));
    pair.assertSame();
    assertThat(pair.reader.fastMetrics())
        .containsExactlyInAnyOrder(
            "scale_three_seconds",
            "scale_eight_seconds",
            "scale_ten_seconds",
            "scale_nine_seconds",
            "scale_minus_four_seconds");
    assertThat(text(pair.reader.collect(), "text/plain; version=0.0.4"))
        .doesNotContain("scale_minus_five");
  }

  @Test
  void forgetsAttributeSetsNoLongerScraped() throws IOException {
    Pair pair = new Pair();
    pair.data.add(histogram(HTTP, "h", "s", points(0, 200)));
    pair.assertSame();
    assertThat(pair.reader.cachedSeries()).isEqualTo(200);
    pair.data.set(0, histogram(HTTP, "h", "s", points(0, 60)));
    pair.assertSame();
    // 200 known for 60 live: within 2 * 60 + 64? No: forgotten down to the live ones.
    assertThat(pair.reader.cachedSeries()).isEqualTo(60);
    pair.data.set(0, histogram(HTTP, "h", "s", points(0, 50)));
    pair.assertSame();
    // 60 known for 50 live: kept.
    assertThat(pair.reader.cachedSeries()).isEqualTo(60);
    pair.data.set(0, histogram(HTTP, "h", "s", points(0, 10)));
    pair.assertSame();
    // 60 known for 10 live: 60 <= 2 * 10 + 64, kept.
    assertThat(pair.reader.cachedSeries()).isEqualTo(60);
    pair.data.set(0, histogram(HTTP, "h", "s", points(0, 84)));
    pair.assertSame();
    pair.data.set(0, histogram(HTTP, "h", "s", points(0, 10)));
    pair.assertSame();
    // 84 known for 10 live: exactly the bound, kept.
    assertThat(pair.reader.cachedSeries()).isEqualTo(84);
    pair.data.clear();
    pair.assertSame();
    // No histogram left: 84 known for none live, all forgotten.
    assertThat(pair.reader.cachedSeries()).isZero();
  }

  @Test
  void anSdkWithEveryInstrumentKindWritesWhatTheStockReaderWrites() throws IOException {
    TestClock clock = TestClock.create();
    ScrapeReader reader = new ScrapeReader();
    PrometheusMetricReader stock = PrometheusMetricReader.builder().build();
    assertThat(reader.getMemoryMode()).isEqualTo(MemoryMode.REUSABLE_DATA);
    assertThat(reader.getAggregationTemporality(InstrumentType.COUNTER))
        .isEqualTo(AggregationTemporality.CUMULATIVE);
    try (SdkMeterProvider provider =
        SdkMeterProvider.builder()
            .setClock(clock)
            .setResource(RESOURCE)
            .registerMetricReader(reader)
            .registerMetricReader(stock)
            .registerView(
                InstrumentSelector.builder().setName("native").build(),
                View.builder()
                    .setAggregation(Aggregation.base2ExponentialBucketHistogram())
                    .build())
            .build()) {
      Meter meter =
          provider
              .meterBuilder("io.ktrdr.test")
              .setInstrumentationVersion("1.0")
              .setSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
              .build();
      DoubleHistogram classic =
          meter
              .histogramBuilder("http.server.request.duration")
              .setUnit("s")
              .setExplicitBucketBoundariesAdvice(BOUNDS)
              .build();
      DoubleHistogram exponential = meter.histogramBuilder("native").setUnit("s").build();
      LongCounter counter = meter.counterBuilder("requests").build();
      meter.upDownCounterBuilder("active").build().add(3, route(1));
      meter.gaugeBuilder("temperature").setUnit("Cel").buildWithCallback(m -> m.record(21.5));
      Random random = new Random(7);
      for (int i = 0; i < 300; i++) {
        classic.record(random.nextDouble() * 2, route(i % 40));
        exponential.record(random.nextDouble(), route(i % 7));
        counter.add(1, route(i % 9));
      }
      try (Scope scope = Span.wrap(SPAN).makeCurrent()) {
        classic.record(0.05, route(3));
      }
      clock.advance(Duration.ofSeconds(10));
      assertSameBodies(reader, stock);
      assertThat(reader.fastMetrics())
          .containsExactlyInAnyOrder("http_server_request_duration_seconds", "native_seconds");
      IntStream.range(40, 60).forEach(i -> classic.record(0.2, route(i)));
      clock.advance(Duration.ofSeconds(10));
      assertSameBodies(reader, stock);
    }
    assertThat(reader.shutdown().isSuccess()).isTrue();
    assertThat(reader.forceFlush().isSuccess()).isTrue();
    assertThat(reader.toString()).startsWith("ScrapeReader{PrometheusMetricReader{");
  }

  @Test
  void targetInfoFollowsTheResource() throws IOException {
    Pair pair = new Pair();
    pair.data.add(histogram(HTTP, "h", "s", points(0, 3)));
    pair.assertSame();
    Resource other =
        Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "other"));
    pair.data.set(0, histogram(other, HTTP, "h", "s", points(0, 3)));
    pair.assertSame();
    assertThat(text(pair.reader.collect(), "text/plain; version=0.0.4"))
        .contains("target_info{service_name=\"other\"} 1");
  }

  @Test
  void scrapesFromOtherThreadsAreNotLockedOut() throws Exception {
    Pair pair = new Pair();
    pair.data.add(histogram(HTTP, "h", "s", points(0, 3)));
    pair.reader.collect();
    assertThat(pair.reader.fastMetrics()).containsExactly("h_seconds");
    assertThat(pair.reader.cachedSeries()).isEqualTo(3);
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      Future<MetricSnapshots> scrape = other.submit(() -> pair.reader.collect());
      assertThat(scrape.get(10, TimeUnit.SECONDS)).hasSize(2);
    } finally {
      other.shutdownNow();
    }
  }

  @Test
  void comparesLabelsInTheOrderOfLabelsCompareTo() {
    List<Labels> labels = new ArrayList<>();
    labels.add(Labels.EMPTY);
    labels.add(Labels.of("a", "1"));
    labels.add(Labels.of("a", "2"));
    labels.add(Labels.of("b", "1"));
    labels.add(Labels.of("a", "1", "b", "1"));
    labels.add(Labels.of("a", "1", "b", "2"));
    labels.add(Labels.of("a", "2", "b", "0"));
    labels.add(Labels.of("a", "1", "c", "0"));
    labels.add(Labels.of("a.x", "1"));
    labels.add(Labels.of("a_x", "1"));
    for (Labels a : labels) {
      for (Labels b : labels) {
        assertThat(Integer.signum(ScrapeReader.compare(a, b)))
            .as("%s vs %s", a, b)
            .isEqualTo(Integer.signum(a.compareTo(b)));
      }
      assertThat(ScrapeReader.compare(a, Labels.of(copy(a)))).isZero();
    }
  }

  private static String[] copy(Labels labels) {
    String[] pairs = new String[labels.size() * 2];
    for (int i = 0; i < labels.size(); i++) {
      pairs[2 * i] = new String(labels.getName(i));
      pairs[2 * i + 1] = new String(labels.getValue(i));
    }
    return pairs;
  }

  @Test
  void aCollectionStuckInACallbackMakesAnotherOneFailInsteadOfWaiting() throws Exception {
    ScrapeReader reader = new ScrapeReader(Duration.ofMillis(200), true);
    ExecutorService first = Executors.newSingleThreadExecutor();
    try (SdkMeterProvider provider =
            SdkMeterProvider.builder().setResource(RESOURCE).registerMetricReader(reader).build();
        BlockingGauge gauge = BlockingGauge.register(provider.get("test"), "stuck", 1)) {
      gauge.block();
      Future<MetricSnapshots> stuck = first.submit(() -> reader.collect());
      gauge.awaitBlocked(Duration.ofSeconds(10));

      long start = System.nanoTime();
      org.assertj.core.api.Assertions.assertThatThrownBy(reader::collect)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "Another metrics collection has been running for more than 200 ms (an asynchronous"
                  + " instrument's callback that blocks?)");
      assertThat(System.nanoTime() - start)
          .isBetween(TimeUnit.MILLISECONDS.toNanos(200), TimeUnit.SECONDS.toNanos(5));

      gauge.release();
      assertThat(stuck.get(10, TimeUnit.SECONDS).size()).isPositive();
      assertThat(reader.collect().size()).isPositive();
    } finally {
      first.shutdownNow();
    }
  }
}
