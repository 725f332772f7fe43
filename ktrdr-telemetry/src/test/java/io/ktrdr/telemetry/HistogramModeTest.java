package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.telemetry.config.ConfigException;
import io.ktrdr.telemetry.javalin.TestApp;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.Scrape;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_35_0.Metrics;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HistogramModeTest {
  private static final String PROTOBUF_ACCEPT =
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

  /**
   * Latency-like values over six decades, plus zero and exact powers of two (bucket edges, some of
   * which the SDK's logarithmic indexing puts in the bucket above).
   */
  private static List<Double> observations(long seed, int count) {
    Random random = new Random(seed);
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      values.add(Math.exp(random.nextGaussian() * 2.0 - 3.0));
    }
    values.addAll(List.of(0.0, 0.5, 0.25, 0.125, 1.0, 2.0, 0.0078125, 0.015625, 16.0, 1e-6, 1e4));
    return values;
  }

  private static KtrdrTelemetry telemetry(Consumer<KtrdrTelemetryBuilder> options) {
    KtrdrTelemetryBuilder builder =
        KtrdrTelemetry.builder()
            .serviceName("histogram-test")
            .environment(Map.of())
            .shutdownHook(false)
            .jvmMetrics(false);
    options.accept(builder);
    return builder.build();
  }

  private static DoubleHistogram histogram(KtrdrTelemetry telemetry, String name) {
    return telemetry
        .meter("test")
        .histogramBuilder(name)
        .setUnit("s")
        .setExplicitBucketBoundariesAdvice(List.of(0.1, 1.0))
        .build();
  }

  private static HistogramDataPointSnapshot point(KtrdrTelemetry telemetry, String metric) {
    for (MetricSnapshot snapshot : telemetry.prometheusRegistry().scrape()) {
      if (snapshot.getMetadata().getPrometheusName().equals(metric)) {
        assertThat(snapshot).isInstanceOf(HistogramSnapshot.class);
        assertThat(snapshot.getDataPoints()).hasSize(1);
        return ((HistogramSnapshot) snapshot).getDataPoints().get(0);
      }
    }
    throw new AssertionError("no metric " + metric);
  }

  /**
   * Every cumulative count is the number of observations at or below its bound, except that an
   * observation equal to the bound may be counted in the bucket above (the SDK's logarithmic
   * indexing): the count lies between "below" and "at or below", which is equality for every value
   * that is not exactly a bound.
   */
  private static void assertExactCumulativeCounts(
      ClassicHistogramBuckets buckets, List<Double> values) {
    long cumulative = 0;
    for (int i = 0; i < buckets.size(); i++) {
      cumulative += buckets.getCount(i);
      double bound = buckets.getUpperBound(i);
      long below = values.stream().filter(v -> v < bound).count();
      long atOrBelow = values.stream().filter(v -> v <= bound).count();
      assertThat(cumulative).as("count of observations <= %s", bound).isBetween(below, atOrBelow);
    }
    assertThat(cumulative).isEqualTo(values.size());
    assertThat(buckets.getUpperBound(buckets.size() - 1)).isEqualTo(Double.POSITIVE_INFINITY);
  }

  @Test
  void bothModeDerivesExactClassicBucketsAtPowersOfTwo() {
    List<Double> values = observations(42, 20_000);
    try (KtrdrTelemetry telemetry = telemetry(b -> b.histogramMode(HistogramMode.BOTH))) {
      DoubleHistogram histogram = histogram(telemetry, "test.latency");
      values.forEach(histogram::record);

      HistogramDataPointSnapshot point = point(telemetry, "test_latency_seconds");

      assertThat(point.hasNativeHistogramData()).isTrue();
      assertThat(point.hasClassicHistogramData()).isTrue();
      assertThat(point.getCount()).isEqualTo(values.size());
      ClassicHistogramBuckets buckets = point.getClassicBuckets();
      assertThat(buckets.size()).isEqualTo(12 - (-10) + 2);
      assertThat(buckets.getUpperBound(0)).isEqualTo(Math.scalb(1.0, -10));
      assertExactCumulativeCounts(buckets, values);
    }
  }

  @Test
  void derivedBucketsStayExactWhenTheScaleDropsBelowZero() {
    List<Double> values = observations(7, 2_000);
    // Four buckets cannot hold 10 decades at scale >= 0: the aggregation downscales below 0.
    try (KtrdrTelemetry telemetry = telemetry(b -> b.nativeHistogramMaxBuckets(4))) {
      DoubleHistogram histogram = histogram(telemetry, "test.latency");
      values.forEach(histogram::record);

      HistogramDataPointSnapshot point = point(telemetry, "test_latency_seconds");

      assertThat(point.getNativeSchema()).isNegative();
      int factor = 1 << -point.getNativeSchema();
      ClassicHistogramBuckets buckets = point.getClassicBuckets();
      for (int i = 0; i < buckets.size() - 1; i++) {
        int exponent = Math.getExponent(buckets.getUpperBound(i));
        assertThat(Math.floorMod(exponent, factor))
            .as("2^%d is a boundary of schema %d", exponent, point.getNativeSchema())
            .isZero();
      }
      assertExactCumulativeCounts(buckets, values);
    }
  }

  @Test
  void derivedBucketsCountExactlyTheNativeBucketsBelowEachBound() {
    List<Double> values = observations(3, 5_000);
    try (KtrdrTelemetry telemetry = telemetry(b -> b.histogramMode(HistogramMode.BOTH))) {
      DoubleHistogram histogram = histogram(telemetry, "test.latency");
      values.forEach(histogram::record);

      HistogramDataPointSnapshot point = point(telemetry, "test_latency_seconds");

      int schema = point.getNativeSchema();
      assertThat(schema).isNotNegative();
      ClassicHistogramBuckets buckets = point.getClassicBuckets();
      long cumulative = 0;
      for (int i = 0; i < buckets.size() - 1; i++) {
        cumulative += buckets.getCount(i);
        // Native bucket i covers (2^((i-1)/2^s), 2^(i/2^s)]: those at or below 2^k have i <= k*2^s.
        long lastIndex = (long) Math.getExponent(buckets.getUpperBound(i)) << schema;
        long nativeBelow = point.getNativeZeroCount();
        for (var bucket : point.getNativeBucketsForPositiveValues()) {
          nativeBelow += bucket.getBucketIndex() <= lastIndex ? bucket.getCount() : 0;
        }
        assertThat(cumulative).as("le=%s", buckets.getUpperBound(i)).isEqualTo(nativeBelow);
      }
    }
  }

  @Test
  void anOverrideAppliesToItsInstrumentOnlyAndKeepsTheCardinalityLimit() {
    try (KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("histogram-test")
            .shutdownHook(false)
            .jvmMetrics(false)
            .environment(Map.of("OTEL_JAVA_METRICS_CARDINALITY_LIMIT", "5000"))
            .histogramMode("app.latency", HistogramMode.CLASSIC)
            .build()) {
      DoubleHistogram latency = histogram(telemetry, "app.latency");
      histogram(telemetry, "app.latency.queue").record(0.3);
      for (int i = 0; i < 3000; i++) {
        latency.record(
            0.3,
            io.opentelemetry.api.common.Attributes.of(
                io.opentelemetry.api.common.AttributeKey.longKey("n"), (long) i));
      }

      HistogramDataPointSnapshot queue = point(telemetry, "app_latency_queue_seconds");
      assertThat(queue.hasClassicHistogramData()).as("not overridden: both").isTrue();
      assertThat(queue.hasNativeHistogramData()).isTrue();
      long series =
          telemetry.prometheusRegistry().scrape().stream()
              .filter(m -> m.getMetadata().getPrometheusName().equals("app_latency_seconds"))
              .mapToLong(m -> m.getDataPoints().size())
              .sum();
      assertThat(series).as("3000 label sets under a limit of 5000").isEqualTo(3000);
    }
  }

  @Test
  void overridesNameOneInstrumentWithoutWildcards() {
    assertThatThrownBy(() -> KtrdrTelemetry.builder().histogramMode("app.*", HistogramMode.NATIVE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("instrumentName must be one instrument's name, without wildcards, was app.*");
  }

  @Test
  void classicModeUsesTheInstrumentsBucketAdvice() {
    try (KtrdrTelemetry telemetry = telemetry(b -> b.histogramMode(HistogramMode.CLASSIC))) {
      DoubleHistogram histogram = histogram(telemetry, "test.latency");
      List.of(0.05, 0.5, 5.0).forEach(histogram::record);

      HistogramDataPointSnapshot point = point(telemetry, "test_latency_seconds");

      assertThat(point.hasNativeHistogramData()).isFalse();
      assertThat(point.getClassicBuckets().stream().map(b -> b.getUpperBound()))
          .containsExactly(0.1, 1.0, Double.POSITIVE_INFINITY);
      assertExactCumulativeCounts(point.getClassicBuckets(), List.of(0.05, 0.5, 5.0));
    }
  }

  @Test
  void nativeModeExposesOnlyTheNativeHistogram() {
    try (KtrdrTelemetry telemetry = telemetry(b -> b.histogramMode(HistogramMode.NATIVE))) {
      DoubleHistogram histogram = histogram(telemetry, "test.latency");
      List.of(0.05, 0.5, 5.0).forEach(histogram::record);

      HistogramDataPointSnapshot point = point(telemetry, "test_latency_seconds");

      assertThat(point.hasNativeHistogramData()).isTrue();
      assertThat(point.hasClassicHistogramData()).isFalse();
      assertThat(point.getCount()).isEqualTo(3);
    }
  }

  @Test
  void perInstrumentModesOverrideTheDefault() {
    try (KtrdrTelemetry telemetry =
        telemetry(
            b ->
                b.histogramMode(HistogramMode.BOTH)
                    .histogramMode("test.classic", HistogramMode.CLASSIC)
                    .histogramMode("test.native", HistogramMode.NATIVE))) {
      for (String name : List.of("test.classic", "test.native", "test.both")) {
        histogram(telemetry, name).record(0.3);
      }

      HistogramDataPointSnapshot classic = point(telemetry, "test_classic_seconds");
      HistogramDataPointSnapshot nativeOnly = point(telemetry, "test_native_seconds");
      HistogramDataPointSnapshot both = point(telemetry, "test_both_seconds");

      assertThat(classic.hasNativeHistogramData()).isFalse();
      assertThat(classic.getClassicBuckets().size()).isEqualTo(3);
      assertThat(nativeOnly.hasNativeHistogramData()).isTrue();
      assertThat(nativeOnly.hasClassicHistogramData()).isFalse();
      assertThat(both.hasNativeHistogramData()).isTrue();
      assertThat(both.hasClassicHistogramData()).isTrue();
    }
  }

  @Test
  void anOverrideCanTurnOneInstrumentNativeUnderAClassicDefault() {
    try (KtrdrTelemetry telemetry =
        telemetry(
            b ->
                b.histogramMode(HistogramMode.CLASSIC)
                    .histogramMode("test.both", HistogramMode.BOTH))) {
      histogram(telemetry, "test.both").record(0.3);
      histogram(telemetry, "test.plain").record(0.3);

      assertThat(point(telemetry, "test_both_seconds").hasNativeHistogramData()).isTrue();
      assertThat(point(telemetry, "test_both_seconds").hasClassicHistogramData()).isTrue();
      assertThat(point(telemetry, "test_plain_seconds").hasNativeHistogramData()).isFalse();
    }
  }

  @Test
  void theEnvironmentChoosesTheModes() {
    try (KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("histogram-test")
            .shutdownHook(false)
            .environment(
                Map.of(
                    "KTRDR_HISTOGRAM_MODE", "Classic",
                    "KTRDR_HISTOGRAM_MODE_OVERRIDES", "test.native=native, test.both=both"))
            .build()) {
      for (String name : List.of("test.native", "test.both", "test.plain")) {
        histogram(telemetry, name).record(0.3);
      }
      assertThat(point(telemetry, "test_plain_seconds").hasNativeHistogramData()).isFalse();
      assertThat(point(telemetry, "test_native_seconds").hasClassicHistogramData()).isFalse();
      assertThat(point(telemetry, "test_both_seconds").hasClassicHistogramData()).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "KTRDR_HISTOGRAM_MODE=exponential|KTRDR_HISTOGRAM_MODE=exponential:"
            + " expected one of classic, native, both",
        "KTRDR_HISTOGRAM_MODE_OVERRIDES=a.b:native|KTRDR_HISTOGRAM_MODE_OVERRIDES=a.b:native:"
            + " expected comma-separated instrument=mode pairs (instrument names without"
            + " wildcards), mode one of classic, native, both",
        "KTRDR_HISTOGRAM_MODE_OVERRIDES=a.b=fine|KTRDR_HISTOGRAM_MODE_OVERRIDES=a.b=fine:"
            + " expected comma-separated instrument=mode pairs (instrument names without"
            + " wildcards), mode one of classic, native, both",
        "KTRDR_HISTOGRAM_MODE_OVERRIDES=a.*=native|KTRDR_HISTOGRAM_MODE_OVERRIDES=a.*=native:"
            + " expected comma-separated instrument=mode pairs (instrument names without"
            + " wildcards), mode one of classic, native, both",
        "KTRDR_NATIVE_HISTOGRAM_MAX_BUCKETS=1|KTRDR_NATIVE_HISTOGRAM_MAX_BUCKETS=1:"
            + " expected an integer 2-16384",
        "KTRDR_NATIVE_HISTOGRAM_MAX_SCALE=21|KTRDR_NATIVE_HISTOGRAM_MAX_SCALE=21:"
            + " expected an integer -4 to 20",
      })
  void invalidHistogramSettingsFailAtStartUpNamingTheKey(String testCase) {
    String[] parts = testCase.split("\\|");
    String[] entry = parts[0].split("=", 2);
    assertThatThrownBy(
            () ->
                KtrdrTelemetry.builder()
                    .serviceName("histogram-test")
                    .shutdownHook(false)
                    .environment(Map.of(entry[0], entry[1]))
                    .build())
        .isInstanceOf(ConfigException.class)
        .hasMessage(parts[1]);
  }

  @Test
  void textScrapeOfBothShowsPowerOfTwoBucketsForTheHttpDuration() {
    try (TestApp app = TestApp.start(b -> b.histogramMode(HistogramMode.BOTH), p -> {})) {
      Http.get(app.url("/api/v1/health"));

      Scrape scrape = Scrape.parse(Http.get(app.url("/metrics")).body());

      List<String> bounds =
          scrape
              .samples(
                  "http_server_request_duration_seconds_bucket",
                  s -> "/api/v1/health".equals(s.label("http_route")))
              .stream()
              .map(s -> s.label("le"))
              .toList();
      assertThat(bounds).startsWith("0.00390625", "0.0078125").endsWith("8.0", "16.0", "+Inf");
      assertThat(bounds).hasSize(14);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"both", "native"})
  void protobufScrapeCarriesTheNativeHistogram(String mode) throws IOException {
    try (TestApp app = TestApp.start(b -> b.histogramMode(HistogramMode.parse(mode)), p -> {})) {
      Http.get(app.url("/api/v1/health"));

      Metrics.Histogram histogram = protobufHistogram(app, "http_server_request_duration_seconds");

      assertThat(histogram.getSchema()).isBetween(-4, 8);
      assertThat(histogram.getPositiveSpanCount()).isPositive();
      assertThat(histogram.getSampleCount()).isEqualTo(1);
      List<Double> bounds =
          histogram.getBucketList().stream().map(Metrics.Bucket::getUpperBound).toList();
      if (mode.equals("both")) {
        assertThat(bounds).hasSize(14).startsWith(0.00390625).endsWith(Double.POSITIVE_INFINITY);
      } else {
        // client_java writes the +Inf bucket for every histogram; a native one has no other.
        assertThat(bounds).containsExactly(Double.POSITIVE_INFINITY);
      }
    }
  }

  @Test
  void protobufScrapeOfClassicHasNoNativeBuckets() throws IOException {
    try (TestApp app = TestApp.start(b -> b.histogramMode(HistogramMode.CLASSIC), p -> {})) {
      Http.get(app.url("/api/v1/health"));

      Metrics.Histogram histogram = protobufHistogram(app, "http_server_request_duration_seconds");

      assertThat(histogram.getPositiveSpanCount()).isZero();
      assertThat(histogram.getBucketList()).hasSize(15); // the 14 semconv boundaries and +Inf
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"classic", "native", "both"})
  void exemplarsReachEveryFormatInEveryMode(String mode) throws IOException {
    try (TestApp app =
        TestApp.start(
            b -> b.histogramMode(HistogramMode.parse(mode)),
            p -> p.excludedPaths = List.of("/metrics"))) {
      // The SDK hands an exemplar to the first collection after the measurement only.
      Http.get(app.url("/api/v1/health"));
      Metrics.Histogram histogram = protobufHistogram(app, "http_server_request_duration_seconds");
      Http.get(app.url("/api/v1/health"));
      String openMetrics =
          Http.send(
                  Http.request(app.url("/metrics"))
                      .header(
                          "Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8")
                      .build())
              .body();

      assertThat(
              Scrape.parse(openMetrics)
                  .samples(
                      "http_server_request_duration_seconds_bucket",
                      s -> "/api/v1/health".equals(s.label("http_route")) && s.exemplar() != null))
          .as("an OpenMetrics bucket line with an exemplar")
          .hasSize(1)
          .allSatisfy(s -> assertThat(s.exemplar()).contains("trace_id="));
      long protobufExemplars =
          histogram.getExemplarsCount()
              + histogram.getBucketList().stream().filter(Metrics.Bucket::hasExemplar).count();
      assertThat(protobufExemplars).as("exemplars in the protobuf histogram").isPositive();
    }
  }

  private static Metrics.Histogram protobufHistogram(TestApp app, String family)
      throws IOException {
    HttpResponse<byte[]> response =
        Http.sendBytes(Http.request(app.url("/metrics")).header("Accept", PROTOBUF_ACCEPT).build());
    assertThat(response.statusCode()).isEqualTo(200);
    try (InputStream in = new ByteArrayInputStream(response.body())) {
      Metrics.MetricFamily parsed;
      while ((parsed = Metrics.MetricFamily.parseDelimitedFrom(in)) != null) {
        if (parsed.getName().equals(family)) {
          for (Metrics.Metric metric : parsed.getMetricList()) {
            if (metric.getLabelList().stream()
                .anyMatch(l -> l.getValue().equals("/api/v1/health"))) {
              return metric.getHistogram();
            }
          }
        }
      }
    }
    throw new AssertionError("no " + family + " for /api/v1/health in the protobuf scrape");
  }
}
