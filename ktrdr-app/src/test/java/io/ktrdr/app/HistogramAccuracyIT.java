package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.telemetry.HistogramMode;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Quantile accuracy of each histogram mode, as Prometheus computes it. The same 20,000 latencies
 * (log-normal, median 40 ms, p99 about 0.4 s, fixed seed) are recorded through the library's
 * histogram in each mode; a real Prometheus with native histograms on scrapes all three, one with
 * them off scrapes {@code both} (its classic buckets). Each p50/p90/p99 is compared with the exact
 * quantile of the recorded values. Prints the table that {@code docs/metrics.md} shows.
 *
 * <p>The values go through the library's OpenTelemetry histogram, the instrument path the HTTP
 * server duration uses, rather than through HTTP requests, so that the exact values are known.
 */
class HistogramAccuracyIT {
  private static final int COUNT = 20_000;
  private static final double[] QUANTILES = {0.5, 0.9, 0.99};

  /** The semantic-convention HTTP duration boundaries, as the classic mode uses them. */
  private static final List<Double> HTTP_BUCKETS =
      List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);

  private static final Map<String, KtrdrTelemetry> services = new LinkedHashMap<>();
  private static double[] sorted;
  private static PrometheusProcess nativeOn;
  private static PrometheusProcess nativeOff;

  @BeforeAll
  static void recordAndScrape() {
    Random random = new Random(20261127);
    double[] values = new double[COUNT];
    for (int i = 0; i < COUNT; i++) {
      values[i] = 0.040 * Math.exp(random.nextGaussian());
    }
    sorted = values.clone();
    Arrays.sort(sorted);
    StringBuilder jobs = new StringBuilder();
    for (HistogramMode mode : HistogramMode.values()) {
      String name = mode.name().toLowerCase(Locale.ROOT);
      KtrdrTelemetry telemetry =
          KtrdrTelemetry.builder()
              .serviceName("accuracy-" + name)
              .environment(Map.of())
              .shutdownHook(false)
              .jvmMetrics(false)
              .histogramMode(mode)
              .metricsServerPort(0)
              .build();
      services.put(name, telemetry);
      DoubleHistogram histogram =
          telemetry
              .meter("accuracy")
              .histogramBuilder("ktrdr.accuracy.latency")
              .setUnit("s")
              .setExplicitBucketBoundariesAdvice(HTTP_BUCKETS)
              .build();
      for (double value : values) {
        histogram.record(value);
      }
      jobs.append(job(name, telemetry.metricsServerPort().orElseThrow()));
    }
    String config = "global:\n  scrape_interval: 1s\nscrape_configs:\n" + jobs;
    nativeOn = PrometheusProcess.start(config, "--enable-feature=native-histograms");
    nativeOff = PrometheusProcess.start(config);
    for (PrometheusProcess prometheus : List.of(nativeOn, nativeOff)) {
      prometheus.awaitQuery(
          "count(up == 1) == 3", result -> !result.isEmpty(), Duration.ofSeconds(30));
    }
    nativeOn.awaitQuery(
        "histogram_count(ktrdr_accuracy_latency_seconds{job=\"both\"})",
        result -> !result.isEmpty(),
        Duration.ofSeconds(30));
  }

  private static String job(String name, int port) {
    return "  - job_name: "
        + name
        + "\n    static_configs:\n      - targets: ['127.0.0.1:"
        + port
        + "']\n";
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable closeable : List.of(nativeOn, nativeOff)) {
      try {
        closeable.close();
      } catch (Exception ignored) {
        // best effort
      }
    }
    services.values().forEach(KtrdrTelemetry::close);
  }

  /** The exact {@code q} quantile (nearest rank) of the recorded values. */
  private static double exact(double q) {
    return sorted[(int) Math.ceil(q * COUNT) - 1];
  }

  private static double classicEstimate(PrometheusProcess prometheus, String job, double q) {
    return prometheus.single(
        "histogram_quantile("
            + q
            + ", sum by (le) (ktrdr_accuracy_latency_seconds_bucket{job=\""
            + job
            + "\"}))");
  }

  private static double nativeEstimate(String job, double q) {
    return nativeOn.single(
        "histogram_quantile(" + q + ", sum(ktrdr_accuracy_latency_seconds{job=\"" + job + "\"}))");
  }

  private static int nativeSchema(String service) {
    for (MetricSnapshot snapshot : services.get(service).prometheusRegistry().scrape()) {
      if (snapshot instanceof HistogramSnapshot histogram
          && snapshot.getMetadata().getPrometheusName().equals("ktrdr_accuracy_latency_seconds")) {
        return histogram.getDataPoints().get(0).getNativeSchema();
      }
    }
    throw new AssertionError("no accuracy histogram in " + service);
  }

  @Test
  void quantilesAreWithinTheErrorEachModeGuarantees() throws IOException {
    List<String> rows = new ArrayList<>();
    rows.add(
        "| quantile | exact | classic (semconv buckets) | both, text scrape (2^k buckets)"
            + " | native | both, protobuf scrape |");
    rows.add("|---|---|---|---|---|---|");
    int schema = nativeSchema("native");
    assertThat(nativeSchema("both")).isEqualTo(schema);
    // Prometheus interpolates within the bucket that holds the quantile: a native estimate is off
    // by less than one bucket's width, 2^(2^-schema) - 1 of the value.
    double nativeBound = Math.pow(2, Math.pow(2, -schema)) - 1;
    for (double q : QUANTILES) {
      double exact = exact(q);
      double classic = classicEstimate(nativeOn, "classic", q);
      double bothClassic = classicEstimate(nativeOff, "both", q);
      double nativeOnly = nativeEstimate("native", q);
      double bothNative = nativeEstimate("both", q);

      assertThat(sameBucket(classic, exact, HTTP_BUCKETS))
          .as("p%s classic %s lies in the bucket of the exact %s", q, classic, exact)
          .isTrue();
      assertThat(sameBucket(bothClassic, exact, powersOfTwo()))
          .as("p%s both/text %s lies in the bucket of the exact %s", q, bothClassic, exact)
          .isTrue();
      assertThat(relativeError(nativeOnly, exact)).as("p%s native", q).isLessThan(nativeBound);
      assertThat(bothNative).as("p%s both/protobuf equals native", q).isEqualTo(nativeOnly);
      rows.add(
          String.format(
              Locale.ROOT,
              "| p%s | %.4f s | %.4f s (%s) | %.4f s (%s) | %.4f s (%s) | %.4f s (%s) |",
              trim(q * 100),
              exact,
              classic,
              percent(classic, exact),
              bothClassic,
              percent(bothClassic, exact),
              nativeOnly,
              percent(nativeOnly, exact),
              bothNative,
              percent(bothNative, exact)));
    }
    rows.add("");
    rows.add(
        String.format(
            Locale.ROOT,
            "%d log-normal latencies (median 40 ms); native schema %d (bucket width %.1f %%).",
            COUNT,
            schema,
            nativeBound * 100));
    String table = String.join("\n", rows) + "\n";
    System.out.println(table);
    Path report = Path.of("target", "histogram-accuracy.md");
    Files.createDirectories(report.getParent());
    Files.writeString(report, table);
  }

  private static List<Double> powersOfTwo() {
    List<Double> bounds = new ArrayList<>();
    for (int k = -10; k <= 12; k++) {
      bounds.add(Math.scalb(1.0, k));
    }
    return bounds;
  }

  /** Whether both values fall in the same bucket {@code (b[i-1], b[i]]} of {@code bounds}. */
  private static boolean sameBucket(double estimate, double exact, List<Double> bounds) {
    return bucket(estimate, bounds) == bucket(exact, bounds);
  }

  private static int bucket(double value, List<Double> bounds) {
    for (int i = 0; i < bounds.size(); i++) {
      if (value <= bounds.get(i)) {
        return i;
      }
    }
    return bounds.size();
  }

  private static double relativeError(double estimate, double exact) {
    return Math.abs(estimate - exact) / exact;
  }

  private static String percent(double estimate, double exact) {
    double error = (estimate - exact) / exact * 100;
    return String.format(Locale.ROOT, "%+.1f %%", error);
  }

  private static String trim(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }
}
