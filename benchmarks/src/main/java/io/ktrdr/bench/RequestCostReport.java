package io.ktrdr.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes the "Request cost" section of {@code docs/performance.md} from {@code run.sh}'s JMH
 * results: the telemetry's own time and allocation per request ({@code FilterBenchmark}, per
 * set-up), what tracing adds over metrics-only with the targets for a request that is not sampled
 * (met or missed, computed), and the allocation per request through Jetty ({@code
 * RequestPathBenchmark}). Replaces the block between the section's markers, or appends it.
 *
 * <p>Usage: {@code RequestCostReport jmh.json docs/performance.md}
 */
public final class RequestCostReport {
  static final String START = "<!-- request-cost:start -->";
  static final String END = "<!-- request-cost:end -->";

  /** Target for an unsampled request over metrics-only. */
  static final double TARGET_NANOS = 100;

  static final double TARGET_BYTES = 100;

  /**
   * Where OpenTelemetry alone allocates more than {@link #TARGET_BYTES} for the same span, the
   * target is the SDK's own: at most this many times what {@code floor-*} allocates over {@code
   * none} (the slack is JMH's rounding of the allocation rate, a few bytes).
   */
  static final double SDK_TOLERANCE = 1.05;

  private static final List<String> FILTER_SETUPS =
      List.of(
          "none",
          "metrics",
          "unsampled",
          "sampled",
          "metrics-root",
          "unsampled-root",
          "floor-unsampled",
          "floor-unsampled-root",
          "floor-sampled");
  private static final List<String> PATH_SETUPS =
      List.of("none", "metrics", "metrics+unsampled", "metrics+tracing");

  private RequestCostReport() {}

  /** One JMH result: time per request with its error, bytes per request. */
  record Cost(double nanos, double error, double bytes) {
    Cost minus(Cost other) {
      return new Cost(
          nanos - other.nanos,
          Math.sqrt(error * error + other.error * other.error),
          bytes - other.bytes);
    }
  }

  public static void main(String[] args) throws IOException {
    JsonNode jmh = JsonMapper.builder().build().readTree(Path.of(args[0]).toFile());
    Path page = Path.of(args[1]);
    String block = markdown(jmh);
    PageSection.write(page, START, END, block);
    System.out.println(block);
  }

  /** JMH writes "NaN" as a string when a figure has no error estimate (a single iteration). */
  private static double number(JsonNode node) {
    return node.isNumber() ? node.asDouble() : Double.NaN;
  }

  /**
   * The results of {@code benchmark} (a class name) by the value of its parameter {@code param}.
   */
  static Map<String, Cost> costs(JsonNode jmh, String benchmark, String param) {
    Map<String, Cost> costs = new LinkedHashMap<>();
    for (JsonNode result : jmh) {
      if (!result.get("benchmark").asString().endsWith("." + benchmark + ".request")) {
        continue;
      }
      JsonNode primary = result.get("primaryMetric");
      JsonNode norm = result.at("/secondaryMetrics/gc.alloc.rate.norm/score");
      costs.put(
          result.at("/params/" + param).asString(),
          new Cost(
              number(primary.get("score")),
              number(primary.get("scoreError")),
              norm.isMissingNode() ? Double.NaN : number(norm)));
    }
    return costs;
  }

  private static String time(Cost cost) {
    return Double.isFinite(cost.error())
        ? String.format(Locale.ROOT, "%,.0f ± %,.0f ns", cost.nanos(), cost.error())
        : String.format(Locale.ROOT, "%,.0f ns", cost.nanos());
  }

  private static String bytes(double bytes) {
    return Double.isFinite(bytes) ? String.format(Locale.ROOT, "%,.0f B", bytes) : "n/a";
  }

  static String verdict(boolean timeMet, boolean bytesMet) {
    if (timeMet && bytesMet) {
      return "**met**";
    }
    if (!timeMet && !bytesMet) {
      return "**missed** (time, bytes)";
    }
    return timeMet ? "**missed** (bytes)" : "**missed** (time)";
  }

  static String markdown(JsonNode jmh) {
    Map<String, Cost> filter = costs(jmh, "FilterBenchmark", "setup");
    Map<String, Cost> path = costs(jmh, "RequestPathBenchmark", "telemetry");
    StringBuilder md = new StringBuilder(START).append("\n## Request cost\n\n");
    md.append(
            "`FilterBenchmark`: the plugin's servlet filter around a trivial chain (the route match"
                + " and status 200), on a reused in-memory request, so only the telemetry is"
                + " measured. `none` is the chain alone; `metrics` is metrics-only with an unsampled"
                + " `traceparent` made current; `unsampled` adds tracing for the same request (its"
                + " parent is not sampled: `parentbased_always_on` drops it); `sampled` records"
                + " every span and exports it over OTLP/HTTP through the batch span processor to an"
                + " in-process sink that discards; `metrics-root` and `unsampled-root` are a"
                + " request without `traceparent`, metrics-only and traced under"
                + " `parentbased_traceidratio` with ratio 0. Bytes are those allocated by the whole"
                + " process per request (the exporter's and the in-process sink's threads included),"
                + " and are stable; in a tight loop the exporter does not keep up with `sampled`, so"
                + " part of its spans are dropped unexported (the benchmark prints how many), and"
                + " `SampledCost` gives the CPU and bytes of a sampled request with its export"
                + " (performance notes in tracing.md). Times are JMH averages with their 99.9 % error, and vary"
                + " with the machine's load. The benchmarks reach the filter only through its public"
                + " API (`ServletTelemetryFilter.builder`, `ServletTelemetryFilter.routeMatched`,"
                + " the seam the Javalin plugin uses too), from their own package `io.ktrdr.bench`:"
                + " none lives in a library package.\n\n")
        .append("| set-up | time per request | allocated per request |\n|---|---|---|\n");
    for (String setup : FILTER_SETUPS) {
      Cost cost = filter.get(setup);
      if (cost != null) {
        md.append(
            String.format(
                Locale.ROOT, "| %s | %s | %s |\n", setup, time(cost), bytes(cost.bytes())));
      }
    }
    md.append(
            "\n| what tracing adds over metrics-only | time | target | allocated | target |"
                + " met |\n")
        .append("|---|---|---|---|---|---|\n");
    StringBuilder missed = new StringBuilder();
    StringBuilder floorRows = new StringBuilder();
    for (String[] pair :
        new String[][] {
          {"unsampled", "metrics", "a request whose parent is not sampled"},
          {"unsampled-root", "metrics-root", "a root request not sampled (ratio 0)"},
          {"sampled", "metrics", "a sampled request, exported"}
        }) {
      Cost traced = filter.get(pair[0]);
      Cost base = filter.get(pair[1]);
      if (traced == null || base == null) {
        continue;
      }
      Cost over = traced.minus(base);
      Cost floorTraced = filter.get("floor-" + pair[0]);
      Cost none = filter.get("none");
      Cost sdk = floorTraced == null || none == null ? null : floorTraced.minus(none);
      boolean targeted = !pair[0].equals("sampled");
      // The rule: < 100 B, or, where the SDK alone allocates more, the SDK's own.
      boolean sdkTarget = sdk != null && sdk.bytes() >= TARGET_BYTES;
      double bytesTarget = sdkTarget ? sdk.bytes() * SDK_TOLERANCE : TARGET_BYTES;
      boolean timeMet =
          over.nanos() < TARGET_NANOS || (sdk != null && over.nanos() <= sdk.nanos() + sdk.error());
      boolean bytesMet = sdkTarget ? over.bytes() <= bytesTarget : over.bytes() < TARGET_BYTES;
      md.append(
          String.format(
              Locale.ROOT,
              "| %s (`%s` − `%s`) | %s | %s | %s | %s | %s |\n",
              pair[2],
              pair[0],
              pair[1],
              time(over),
              targeted ? "< 100 ns, or the SDK's own" : "none",
              bytes(over.bytes()),
              !targeted
                  ? "none"
                  : sdkTarget
                      ? String.format(Locale.ROOT, "≤ %s (the SDK's own)", bytes(bytesTarget))
                      : "< 100 B",
              targeted ? verdict(timeMet, bytesMet) : "n/a"));
      if (sdk != null) {
        floorRows.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %s | %s | %s | %s |\n",
                pair[2],
                time(over),
                bytes(over.bytes()),
                time(sdk),
                bytes(sdk.bytes()),
                Double.isFinite(sdk.bytes()) && sdk.bytes() > 0
                    ? String.format(Locale.ROOT, "%.2f×", over.bytes() / sdk.bytes())
                    : "n/a"));
      }
      if (targeted && !bytesMet) {
        missed.append(
            String.format(
                Locale.ROOT,
                "- %s allocates %s more than metrics-only: what OpenTelemetry's SDK allocates to"
                    + " start a span it does not sample (the span builder, a new span id%s, the"
                    + " span context and the context holding it), and the map that holds the five"
                    + " attributes the sampler decides on (method, scheme, path, server address and"
                    + " port; see Sampling-time attributes). The plugin reads nothing else for such"
                    + " a span; the rest is the price of giving the request its own span context,"
                    + " which logs and outgoing calls carry.\n",
                pair[2],
                bytes(over.bytes()),
                pair[0].endsWith("-root") ? " and trace id (as text)" : " (as text)"));
      }
      if (targeted && !timeMet) {
        missed.append(
            String.format(
                Locale.ROOT,
                "- %s takes %s more than metrics-only: the SDK's span start (id generation,"
                    + " sampler, span context and the context carrying it)%s.\n",
                pair[2],
                time(over),
                over.error() > TARGET_NANOS
                    ? "; the error is larger than the target, so this run cannot tell"
                    : ""));
      }
    }
    if (missed.length() > 0) {
      md.append("\nMissed targets:\n\n").append(missed);
    }
    if (floorRows.length() > 0) {
      md.append(
              "\nAgainst OpenTelemetry alone: the `floor-*` set-ups run the same three requests"
                  + " through `OtelFloor`, the SDK configured as ktrdr-telemetry configures it and"
                  + " a plain servlet filter writing the same server span (name, kind, attributes,"
                  + " status; `OtelFloorTest` holds them equal) with no metrics. What tracing adds"
                  + " to ours over metrics-only sits next to what the SDK costs over `none` for"
                  + " the same span; where the SDK alone allocates 100 B or more, the target above"
                  + " is the SDK's own.\n\n")
          .append(
              "| request | ours over metrics-only | allocated | the SDK alone over `none` |"
                  + " allocated | ours ÷ SDK (bytes) |\n")
          .append("|---|---|---|---|---|---|\n")
          .append(floorRows);
    }
    if (!path.isEmpty()) {
      md.append(
              "\n`RequestPathBenchmark`: the same comparison through Jetty's in-memory connector"
                  + " and Javalin's routing (`metrics+unsampled`: tracing on, the caller's"
                  + " `traceparent` not sampled; `metrics+tracing`: sampled and exported). Jetty"
                  + " dominates its time, so read its allocation.\n\n")
          .append(
              "| set-up | allocated per request | more than `none` | time per request |\n"
                  + "|---|---|---|---|\n");
      Cost none = path.get("none");
      for (String setup : PATH_SETUPS) {
        Cost cost = path.get(setup);
        if (cost == null) {
          continue;
        }
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %s | %s |\n",
                setup,
                bytes(cost.bytes()),
                none == null || setup.equals("none") ? "" : bytes(cost.bytes() - none.bytes()),
                time(cost)));
      }
    }
    md.append(
            "\nWhich change moved which figure: [tracing.md, performance notes](tracing.md#performance-notes)."
                + " Reproduce: `benchmarks/run.sh` (this section: `java -jar"
                + " benchmarks/target/benchmarks.jar 'FilterBenchmark|RequestPathBenchmark' -prof gc"
                + " -rf json -rff jmh.json`, then `RequestCostReport jmh.json"
                + " docs/performance.md`).\n")
        .append(END);
    return md.toString();
  }
}
