package io.ktrdr.bench;

import io.ktrdr.telemetry.HistogramMode;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes the "Histogram modes" section of {@code docs/performance.md}: for the same traffic ({@link
 * HistogramModeTraffic}) in each mode, the series Prometheus stores, the scrape body in text, gzip
 * and protobuf (measured here, deterministic), and the JMH times of {@link HistogramModeBenchmark}
 * (from its JSON result). Replaces the block between the section's markers.
 *
 * <p>Usage: {@code HistogramModeReport jmh.json docs/performance.md}
 */
public final class HistogramModeReport {
  static final String START = "<!-- histogram-modes:start -->";
  static final String END = "<!-- histogram-modes:end -->";
  private static final String METRIC = "http_server_request_duration_seconds";

  private HistogramModeReport() {}

  /** What one mode's scrape looks like. */
  record Sizes(long textSeries, long nativeSeries, long text, long gzip, long protobuf) {}

  public static void main(String[] args) throws IOException {
    JsonNode jmh = JsonMapper.builder().build().readTree(Path.of(args[0]).toFile());
    Path page = Path.of(args[1]);
    Map<String, Sizes> sizes = new LinkedHashMap<>();
    for (HistogramMode mode : HistogramMode.values()) {
      sizes.put(mode.name().toLowerCase(Locale.ROOT), measure(mode));
    }
    String block = markdown(sizes, jmh);
    PageSection.write(page, START, END, block);
    System.out.println(block);
  }

  static Sizes measure(HistogramMode mode) throws IOException {
    try (KtrdrTelemetry telemetry = HistogramModeTraffic.telemetry(mode)) {
      HistogramModeTraffic.drive(HistogramModeTraffic.histogram(telemetry));
      long textSeries = 0;
      long nativeSeries = 0;
      for (MetricSnapshot snapshot : telemetry.prometheusRegistry().scrape()) {
        if (!(snapshot instanceof HistogramSnapshot histogram)
            || !snapshot.getMetadata().getPrometheusName().equals(METRIC)) {
          continue;
        }
        for (HistogramDataPointSnapshot point : histogram.getDataPoints()) {
          // A text scrape has a _bucket line per classic bound (at least +Inf), _count and _sum;
          // with native ingestion on, Prometheus stores a native histogram as one series.
          int buckets = point.hasClassicHistogramData() ? point.getClassicBuckets().size() : 1;
          textSeries += buckets + 2;
          nativeSeries += point.hasNativeHistogramData() ? 1 : buckets + 2;
        }
      }
      return new Sizes(
          textSeries,
          nativeSeries,
          body(telemetry, Map.of()),
          body(telemetry, Map.of("Accept-Encoding", "gzip")),
          body(telemetry, Map.of("Accept", HistogramModeBenchmark.PROTOBUF)));
    }
  }

  private static long body(KtrdrTelemetry telemetry, Map<String, String> headers)
      throws IOException {
    NullExchange exchange = new NullExchange(headers, false);
    telemetry.metricsHandler().handle(exchange);
    return exchange.bytes;
  }

  /** JMH writes "NaN" as a string when a figure has no error estimate (a single iteration). */
  private static double number(JsonNode node) {
    return node.isNumber() ? node.asDouble() : Double.NaN;
  }

  static String markdown(Map<String, Sizes> sizes, JsonNode jmh) {
    Map<String, String> times = new LinkedHashMap<>();
    for (JsonNode result : jmh) {
      String benchmark = result.get("benchmark").asString();
      if (!benchmark.contains("HistogramModeBenchmark.")) {
        continue;
      }
      String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
      JsonNode primary = result.get("primaryMetric");
      double score = number(primary.get("score"));
      double error = number(primary.get("scoreError"));
      String unit = primary.get("scoreUnit").asString();
      if (unit.equals("us/op")) {
        score /= 1000;
        error /= 1000;
        unit = "ms";
      } else if (unit.equals("ns/op")) {
        unit = "ns";
      }
      String value =
          String.format(Locale.ROOT, "%.1f", score)
              + (Double.isFinite(error) ? String.format(Locale.ROOT, " ± %.1f", error) : "")
              + " "
              + unit;
      JsonNode norm = result.at("/secondaryMetrics/gc.alloc.rate.norm");
      if (method.equals("record") && !norm.isMissingNode()) {
        value += String.format(Locale.ROOT, ", %.0f B", number(norm.get("score")));
      }
      times.put(result.at("/params/mode").asString() + "/" + method, value);
    }
    int labelSets =
        HistogramModeTraffic.ROUTES
            * HistogramModeTraffic.METHODS.size()
            * HistogramModeTraffic.STATUSES.size();
    StringBuilder md = new StringBuilder(START).append("\n## Histogram modes\n\n");
    md.append(
            String.format(
                Locale.ROOT,
                "`HistogramModeReport` and `HistogramModeBenchmark`: the HTTP duration histogram over"
                    + " %d label sets (%d routes × %d methods × %d status codes), %d log-normal"
                    + " latencies each, in each mode of `KTRDR_HISTOGRAM_MODE`. Series are exact for this"
                    + " traffic, bytes vary by a few with timestamps; times are JMH averages of this"
                    + " run.\n\n",
                labelSets,
                HistogramModeTraffic.ROUTES,
                HistogramModeTraffic.METHODS.size(),
                HistogramModeTraffic.STATUSES.size(),
                HistogramModeTraffic.OBSERVATIONS_PER_SET))
        .append(
            "| mode | series (text scrape) | series (protobuf, native on) | text | gzip | protobuf"
                + " | scrape, text | scrape, protobuf | record per request |\n")
        .append("|---|---|---|---|---|---|---|---|---|\n");
    sizes.forEach(
        (mode, s) ->
            md.append(
                String.format(
                    Locale.ROOT,
                    "| %s | %,d | %,d | %,d B | %,d B | %,d B | %s | %s | %s |\n",
                    mode,
                    s.textSeries(),
                    s.nativeSeries(),
                    s.text(),
                    s.gzip(),
                    s.protobuf(),
                    times.getOrDefault(mode + "/scrapeText", "n/a"),
                    times.getOrDefault(mode + "/scrapeProtobuf", "n/a"),
                    times.getOrDefault(mode + "/record", "n/a"))));
    md.append(
            "\n- `native` and `both` store one series per label set in a Prometheus that ingests"
                + " native histograms; their text scrape carries only `+Inf` (`native`) or the"
                + " derived power-of-two buckets (`both`).\n")
        .append(
            "- The protobuf body of `native` and `both` holds the native buckets of each label"
                + " set, which is larger than a few classic buckets when latencies spread widely;"
                + " the series count, which drives Prometheus' memory and index, is what shrinks.\n")
        .append(
            "- A Prometheus that keeps the classic buckets of `both` as well"
                + " (`always_scrape_classic_histograms`) stores both forms: one native series plus"
                + " the classic ones per label set, more than `classic` alone, until the classic"
                + " buckets are dropped.\n")
        .append(
            "- `both` derives its classic buckets from the native ones at every scrape: that is"
                + " the difference between its scrape times and `native`'s.\n")
        .append(
            "- Reproduce: `benchmarks/histogram-modes.sh` (about 3 minutes, on an otherwise idle machine) rewrites this"
                + " section.\n")
        .append(END);
    return md.toString();
  }
}
