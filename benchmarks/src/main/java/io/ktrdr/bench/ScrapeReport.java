package io.ktrdr.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes the "Scrape" section of {@code docs/performance.md}: per series count and format, the JMH
 * times of {@link ScrapeBenchmark} for ktrdr-telemetry, client_java and the stock OpenTelemetry
 * reader, the ratio to client_java with the ≤ 1.2× target at 10,000 series computed as met or
 * missed, and the body sizes (measured here on the same targets, deterministic); then the reference
 * API's scrape after a load run ({@code app-scrape.csv} of {@code benchmarks/app-scrape.sh}) next
 * to the synthetic 10,000-series case.
 *
 * <p>Usage: {@code ScrapeReport jmh.json app-scrape.csv docs/performance.md}
 */
public final class ScrapeReport {
  static final String SECTION = "scrape";
  static final double TARGET = 1.2;
  static final int TARGET_SERIES = 10_000;
  static final String ALLOCATED = "allocated:";
  private static final List<Integer> SERIES = List.of(100, 10_000);
  private static final List<String> FORMATS = List.of("text", "gzip", "protobuf");
  private static final Map<String, String> FORMAT_NAMES =
      Map.of(
          "text", "OpenMetrics text",
          "gzip", "OpenMetrics text, gzip",
          "protobuf", "protobuf");

  private ScrapeReport() {}

  /** A body: its bytes and, for text, its sample lines. */
  record Body(long bytes, long series) {}

  public static void main(String[] args) throws IOException {
    JsonNode jmh = JsonMapper.builder().build().readTree(Path.of(args[0]).toFile());
    Path appCsv = Path.of(args[1]);
    Map<String, String[]> app = Files.exists(appCsv) ? AppScrape.read(appCsv) : Map.of();
    Map<String, Body> bodies = new LinkedHashMap<>();
    for (int series : SERIES) {
      for (String impl : List.of("ktrdr", "ktrdr_noscope", "client_java")) {
        try (ScrapeTargets.Target target = ScrapeTargets.create(impl, series)) {
          for (String format : FORMATS) {
            bodies.put(key(impl, series, format), body(target, format));
          }
        }
      }
    }
    String block = markdown(times(jmh), bodies, app);
    PageSection.write(Path.of(args[2]), SECTION, block);
    System.out.println(block);
  }

  static String key(String impl, int series, String format) {
    return impl + "/" + series + "/" + format;
  }

  private static Body body(ScrapeTargets.Target target, String format) throws IOException {
    NullExchange exchange = new NullExchange(ScrapeTargets.headers(format), true);
    target.handler().handle(exchange);
    long series =
        format.equals("text")
            ? AppScrape.series(new String(exchange.body(), java.nio.charset.StandardCharsets.UTF_8))
            : 0;
    return new Body(exchange.bytes, series);
  }

  /**
   * ScrapeBenchmark's average times in milliseconds by {@link #key}, and with {@code -prof gc} the
   * bytes allocated per scrape by {@link #ALLOCATED} + key.
   */
  static Map<String, Double> times(JsonNode jmh) {
    Map<String, Double> times = new LinkedHashMap<>();
    for (JsonNode result : jmh) {
      if (!result.get("benchmark").asString().endsWith("ScrapeBenchmark.scrape")) {
        continue;
      }
      JsonNode primary = result.get("primaryMetric");
      double score = PageSection.number(primary.get("score"));
      String unit = primary.get("scoreUnit").asString();
      double millis =
          switch (unit) {
            case "us/op" -> score / 1e3;
            case "ms/op" -> score;
            case "ns/op" -> score / 1e6;
            default -> throw new IllegalArgumentException("unexpected JMH unit " + unit);
          };
      JsonNode params = result.get("params");
      String key =
          key(
              params.get("registry").asString(),
              Integer.parseInt(params.get("series").asString()),
              params.get("format").asString());
      times.put(key, millis);
      JsonNode norm = result.at("/secondaryMetrics/gc.alloc.rate.norm");
      if (!norm.isMissingNode()) {
        times.put(ALLOCATED + key, PageSection.number(norm.get("score")));
      }
    }
    return times;
  }

  /** "met" or "missed" for a ratio against the target; "—" where no target applies. */
  static String verdict(int series, double ratio) {
    if (series != TARGET_SERIES) {
      return "—";
    }
    return Double.isFinite(ratio) && ratio <= TARGET ? "met" : "missed";
  }

  private static String millis(Double value) {
    return value == null ? "n/a" : String.format(Locale.ROOT, "%.2f ms", value);
  }

  private static String megabytes(Double bytes) {
    return bytes == null ? "n/a" : String.format(Locale.ROOT, "%.1f", bytes / 1e6);
  }

  private static double ratio(Double ours, Double theirs) {
    return ours == null || theirs == null ? Double.NaN : ours / theirs;
  }

  private static String ratioText(double ratio) {
    return Double.isFinite(ratio) ? String.format(Locale.ROOT, "%.2f×", ratio) : "n/a";
  }

  static String markdown(
      Map<String, Double> times, Map<String, Body> bodies, Map<String, String[]> app) {
    StringBuilder md = new StringBuilder(PageSection.start(SECTION)).append("\n## Scrape\n\n");
    md.append(
            "`ScrapeBenchmark` (JMH, average of one scrape through the `/metrics` handler) and"
                + " `ScrapeReport` (body sizes of the same targets): N series of the HTTP duration"
                + " histogram with 14 classic buckets, one route each. **ktrdr** is"
                + " `metricsHandler()` of the library (classic mode); **client_java** is its own"
                + " registry holding the same series, served by the same handler; **stock reader**"
                + " is the OpenTelemetry SDK read by opentelemetry-java's `PrometheusMetricReader`,"
                + " the library's scrape path before its own reader. Formats as Prometheus asks for"
                + " them: OpenMetrics text (its default `Accept`), the same with"
                + " `Accept-Encoding: gzip`, and protobuf (its `Accept` with native histograms on)."
                + " **no scope labels** is ktrdr with `KTRDR_METRICS_SCOPE_LABELS_ENABLED=false`"
                + " (no `otel_scope_*` label on its samples)."
                + " Target: ktrdr ≤ "
                + TARGET
                + "× client_java at 10,000 series.\n\n")
        .append(
            "| series | format | ktrdr | client_java | ratio | target ≤ 1.2× | no scope labels |"
                + " its ratio | its target | stock reader | stock ratio | allocated per scrape,"
                + " MB (ktrdr / client_java / stock) | body, ktrdr | body, no scope labels |"
                + " body, client_java |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    StringBuilder missed = new StringBuilder();
    for (int series : SERIES) {
      for (String format : FORMATS) {
        Double ours = times.get(key("ktrdr", series, format));
        Double theirs = times.get(key("client_java", series, format));
        Double stock = times.get(key("otel_stock", series, format));
        Double unscoped = times.get(key("ktrdr_noscope", series, format));
        double ratio = ratio(ours, theirs);
        String verdict = verdict(series, ratio);
        double unscopedRatio = ratio(unscoped, theirs);
        String unscopedVerdict = verdict(series, unscopedRatio);
        if (verdict.equals("missed")) {
          missed.append(
              String.format(
                  Locale.ROOT,
                  "- %s at %,d series: %s; without the scope labels %s (%s).",
                  FORMAT_NAMES.get(format),
                  series,
                  Double.isFinite(ratio) ? ratioText(ratio) : "no figure in jmh.json",
                  ratioText(unscopedRatio),
                  unscopedVerdict));
          missed.append('\n');
        }
        Body ourBody = bodies.get(key("ktrdr", series, format));
        Body unscopedBody = bodies.get(key("ktrdr_noscope", series, format));
        Body theirBody = bodies.get(key("client_java", series, format));
        md.append(
            String.format(
                Locale.ROOT,
                "| %,d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %,d B |"
                    + " %s | %,d B |\n",
                series,
                FORMAT_NAMES.get(format),
                millis(ours),
                millis(theirs),
                ratioText(ratio),
                verdict,
                millis(unscoped),
                ratioText(unscopedRatio),
                unscopedVerdict,
                millis(stock),
                ratioText(ratio(stock, theirs)),
                megabytes(times.get(ALLOCATED + key("ktrdr", series, format))),
                megabytes(times.get(ALLOCATED + key("client_java", series, format))),
                megabytes(times.get(ALLOCATED + key("otel_stock", series, format))),
                ourBody.bytes(),
                unscopedBody == null
                    ? "n/a"
                    : String.format(Locale.ROOT, "%,d B", unscopedBody.bytes()),
                theirBody.bytes()));
      }
    }
    md.append(
        "\nThe ktrdr body is larger by the `otel_scope_name` label on every sample (the"
            + " OpenTelemetry-Prometheus compatibility rules ask for it) and by `target_info`;"
            + " writing those bytes is most of the remaining difference, as the `no scope labels`"
            + " column shows: the same library and series with"
            + " `KTRDR_METRICS_SCOPE_LABELS_ENABLED=false` (when to turn them off:"
            + " [metrics](metrics.md#how-a-scrape-is-made-and-what-it-costs)). What moved ktrdr from the"
            + " stock reader's figures to its own: the library's reader, which keeps each series'"
            + " labels between scrapes, hands the points to client_java's snapshot already sorted"
            + " and collects the SDK's data with reusable objects ([metrics](metrics.md#how-a-"
            + "scrape-is-made-and-what-it-costs)); its body is the stock reader's, byte for"
            + " byte.\n");
    if (missed.length() > 0) {
      md.append("\nMissed targets:\n\n")
          .append(missed)
          .append(
              "\nThe scrape writes every sample with one more label than client_java's (see"
                  + " above), so its text body is about a quarter larger at the same series: the"
                  + " writer's time follows the bytes. On a machine shared with other work the JMH"
                  + " figures of 10,000 series (a few scrapes per iteration) also vary by more than"
                  + " the margin; rerun on an idle machine before drawing a conclusion.\n");
    }
    md.append("\n### A realistic app next to the synthetic case\n\n");
    if (app.isEmpty()) {
      md.append("No `app-scrape.csv`: run `benchmarks/app-scrape.sh`.\n");
    } else {
      md.append(
              "`benchmarks/app-scrape.sh`: the reference API (`ktrdr-app`, its defaults: tracing"
                  + " on, JVM metrics, embedded H2) after a wrk load (`APP_LOAD_SECONDS`, 10 s by"
                  + " default) over a mix of its routes (data, operations, health, and 404s),"
                  + " scraped "
                  + app.values().iterator().next()[1]
                  + " times per format over HTTP on loopback after 5 unrecorded scrapes (median and"
                  + " p90 from request to last byte). The synthetic row is ktrdr's 10,000-series case above (JMH average,"
                  + " handler only, no HTTP).\n\n")
          .append(
              "| target | format | series (text samples) | body | scrape median | scrape p90 |\n")
          .append("|---|---|---|---|---|---|\n");
      for (String format : FORMATS) {
        String[] row = app.get(format);
        if (row != null) {
          md.append(
              String.format(
                  Locale.ROOT,
                  "| reference API | %s | %,d | %,d B | %s ms | %s ms |\n",
                  FORMAT_NAMES.get(format),
                  Long.parseLong(row[3]),
                  Long.parseLong(row[2]),
                  row[4],
                  row[5]));
        }
        Body synthetic = bodies.get(key("ktrdr", TARGET_SERIES, format));
        md.append(
            String.format(
                Locale.ROOT,
                "| synthetic, 10,000 series | %s | %,d | %,d B | %s (mean) | — |\n",
                FORMAT_NAMES.get(format),
                bodies.get(key("ktrdr", TARGET_SERIES, "text")).series(),
                synthetic.bytes(),
                millis(times.get(key("ktrdr", TARGET_SERIES, format)))));
      }
    }
    md.append(
            "\n- Reproduce: `benchmarks/run.sh` (the JMH part runs `ScrapeBenchmark`, 18 trials,"
                + " about 3 minutes; then `benchmarks/app-scrape.sh` and `ScrapeReport` rewrite"
                + " this section). Just this benchmark: `java -jar benchmarks/target/benchmarks.jar"
                + " ScrapeBenchmark -prof gc -rf json -rff jmh.json`, then `java -cp"
                + " benchmarks/target/benchmarks.jar io.ktrdr.bench.ScrapeReport jmh.json"
                + " benchmarks/target/results/app-scrape.csv docs/performance.md`.\n")
        .append(PageSection.end(SECTION));
    return md.toString();
  }
}
