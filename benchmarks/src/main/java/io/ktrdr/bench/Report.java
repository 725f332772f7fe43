package io.ktrdr.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;

/**
 * Writes the base of docs/performance.md (load test, how it is measured, machine, how to reproduce)
 * and docs/performance.png from the load test's CSV of benchmarks/run.sh. Sections other generators
 * write between {@code <!-- NAME:start -->} and {@code <!-- NAME:end -->} markers are carried over
 * from the existing page unchanged, in their order, after the base.
 *
 * <p>Usage: {@code Report <load.csv> <machine.txt> <out.md> <out.png>}.
 */
public final class Report {
  /** The set-ups in the order the page lists them; others found in the CSV follow. */
  static final List<String> ORDER =
      List.of(
          "bare",
          "metrics",
          "micrometer",
          "client_java",
          "tracing",
          "tracing-10",
          "tracing-1",
          "agent");

  static final double METRICS_MIN_RATIO = 0.97;
  static final double TRACING_MIN_RATIO = 0.90;
  static final double TRACING_MAX_CPU_OVER_METRICS = 2.0;

  /** Below this share of the target's CPU, the sink's own CPU is small enough to run unpinned. */
  static final double SINK_SMALL_SHARE = 0.05;

  private static final Pattern MARKER_START = Pattern.compile("<!-- ([A-Za-z0-9_-]+):start -->");

  private Report() {}

  /** One load-test run, one line of load.csv. */
  record Run(
      String mode,
      int round,
      double rps,
      double p99,
      double startupMs,
      double rssMb,
      long requests,
      double cpuMsPer1k,
      double allocBytesPerRequest,
      double sinkCpuMsPer1k,
      double exportBytesPerRequest,
      double jitCpuMsPer1k) {

    static Run parse(String line) {
      String[] f = line.split(",");
      return new Run(
          f[0],
          Integer.parseInt(f[1]),
          Double.parseDouble(f[2]),
          Double.parseDouble(f[3]),
          Double.parseDouble(f[4]),
          Double.parseDouble(f[5]),
          Long.parseLong(f[6]),
          Double.parseDouble(f[7]),
          Double.parseDouble(f[8]),
          Double.parseDouble(f[9]),
          Double.parseDouble(f[10]),
          Double.parseDouble(f[11]));
    }
  }

  /** Median, minimum and maximum of a figure over the rounds. */
  record Spread(double median, double min, double max) {
    static Spread of(double[] values) {
      return new Spread(
          Report.median(values),
          Arrays.stream(values).min().orElse(Double.NaN),
          Arrays.stream(values).max().orElse(Double.NaN));
    }

    String format(String pattern) {
      return String.format(
          Locale.ROOT, pattern + " (" + pattern + "–" + pattern + ")", median, min, max);
    }
  }

  /**
   * One set-up over all rounds: medians of the absolute figures, and the spread of its figures
   * relative to bare Javalin in the same round (requests/s, p99, CPU per request).
   */
  record SetUp(
      String mode,
      double rps,
      double p99,
      double cpuMsPer1k,
      double jitCpuMsPer1k,
      double allocBytesPerRequest,
      double startupMs,
      double rssMb,
      double sinkCpuMsPer1k,
      double exportBytesPerRequest,
      Spread rpsRatio,
      Spread p99Ratio,
      Spread cpuRatio) {}

  /** A target the page checks: what, for which set-up, the measured figure, met or not. */
  record Target(String setUp, String what, String measured, boolean met, String whyMissed) {}

  public static void main(String[] args) throws IOException {
    List<Run> runs = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(args[0]))) {
      if (!line.isBlank() && !line.startsWith("mode")) {
        runs.add(Run.parse(line));
      }
    }
    String machine = Files.readString(Path.of(args[1])).trim();
    Path page = Path.of(args[2]);
    String previous = Files.exists(page) ? Files.readString(page) : "";
    Map<String, SetUp> setUps = summarize(runs);
    StringBuilder md = new StringBuilder(markdown(setUps, targets(setUps, runs), runs, machine));
    for (String section : markedSections(previous)) {
      md.append('\n').append(section).append('\n');
    }
    Files.writeString(page, md.toString());
    chart(setUps, Path.of(args[3]));
  }

  /** The blocks between {@code <!-- NAME:start -->} and {@code <!-- NAME:end -->}, in order. */
  static List<String> markedSections(String page) {
    List<String> sections = new ArrayList<>();
    Matcher start = MARKER_START.matcher(page);
    int from = 0;
    while (start.find(from)) {
      String end = "<!-- " + start.group(1) + ":end -->";
      int endAt = page.indexOf(end, start.end());
      if (endAt < 0) {
        throw new IllegalArgumentException(
            "docs/performance.md: " + start.group() + " has no " + end + " after it");
      }
      sections.add(page.substring(start.start(), endAt + end.length()));
      from = endAt + end.length();
    }
    return sections;
  }

  /** Per set-up, in {@link #ORDER}: medians and spreads relative to bare in the same round. */
  static Map<String, SetUp> summarize(List<Run> runs) {
    Map<Integer, Run> bare = new LinkedHashMap<>();
    Map<String, List<Run>> byMode = new LinkedHashMap<>();
    for (String mode : ORDER) {
      byMode.put(mode, new ArrayList<>());
    }
    for (Run run : runs) {
      byMode.computeIfAbsent(run.mode(), m -> new ArrayList<>()).add(run);
      if (run.mode().equals("bare")) {
        bare.put(run.round(), run);
      }
    }
    Map<String, SetUp> result = new LinkedHashMap<>();
    byMode.forEach(
        (mode, list) -> {
          List<Run> paired = list.stream().filter(run -> bare.containsKey(run.round())).toList();
          if (list.isEmpty() || paired.isEmpty()) {
            return;
          }
          result.put(
              mode,
              new SetUp(
                  mode,
                  medianOf(list, Run::rps),
                  medianOf(list, Run::p99),
                  medianOf(list, Run::cpuMsPer1k),
                  medianOf(list, Run::jitCpuMsPer1k),
                  medianOf(list, Run::allocBytesPerRequest),
                  medianOf(list, Run::startupMs),
                  medianOf(list, Run::rssMb),
                  medianOf(list, Run::sinkCpuMsPer1k),
                  medianOf(list, Run::exportBytesPerRequest),
                  ratioSpread(paired, bare, Run::rps),
                  ratioSpread(paired, bare, Run::p99),
                  ratioSpread(paired, bare, Run::cpuMsPer1k)));
        });
    return result;
  }

  private static double medianOf(List<Run> runs, ToDoubleFunction<Run> figure) {
    return median(runs.stream().mapToDouble(figure).toArray());
  }

  private static Spread ratioSpread(
      List<Run> runs, Map<Integer, Run> bare, ToDoubleFunction<Run> figure) {
    return Spread.of(
        runs.stream()
            .mapToDouble(
                run -> figure.applyAsDouble(run) / figure.applyAsDouble(bare.get(run.round())))
            .toArray());
  }

  /** Per round, {@code a}'s figure over {@code b}'s in the same round. */
  static Spread pairedSpread(List<Run> runs, String a, String b, ToDoubleFunction<Run> figure) {
    Map<Integer, Run> bs = new LinkedHashMap<>();
    runs.stream().filter(run -> run.mode().equals(b)).forEach(run -> bs.put(run.round(), run));
    double[] ratios =
        runs.stream()
            .filter(run -> run.mode().equals(a) && bs.containsKey(run.round()))
            .mapToDouble(
                run -> figure.applyAsDouble(run) / figure.applyAsDouble(bs.get(run.round())))
            .toArray();
    return ratios.length == 0 ? null : Spread.of(ratios);
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n == 0
        ? Double.NaN
        : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** The page's targets, each computed from the figures. */
  static List<Target> targets(Map<String, SetUp> setUps, List<Run> runs) {
    List<Target> targets = new ArrayList<>();
    SetUp metrics = setUps.get("metrics");
    SetUp tracing = setUps.get("tracing");
    SetUp agent = setUps.get("agent");
    if (metrics != null) {
      double extraCpu = metrics.cpuMsPer1k() - setUps.get("bare").cpuMsPer1k();
      targets.add(
          rpsTarget(
              metrics,
              METRICS_MIN_RATIO,
              String.format(
                      Locale.ROOT,
                      "`metrics` kept %.3f× of bare requests/s (rounds %.3f–%.3f) and spent %+.2f ms"
                          + " of CPU per 1,000 requests over bare",
                      metrics.rpsRatio().median(),
                      metrics.rpsRatio().min(),
                      metrics.rpsRatio().max(),
                      extraCpu)
                  + (metrics.rpsRatio().max() >= METRICS_MIN_RATIO
                      ? ": some rounds reach the target: the gap is within this run's spread between rounds."
                      : String.format(
                          Locale.ROOT,
                          ": no round reached %.2f×. Its CPU per request over rounds was %.2f–%.2f×"
                              + " bare's; the request-cost section measures the recording alone, away"
                              + " from the load generator and the machine's drift between runs.",
                          METRICS_MIN_RATIO,
                          metrics.cpuRatio().min(),
                          metrics.cpuRatio().max()))));
    }
    if (tracing != null) {
      double r = tracing.rpsRatio().median();
      targets.add(
          rpsTarget(
              tracing,
              TRACING_MIN_RATIO,
              String.format(
                  Locale.ROOT,
                  "`tracing` (every request sampled and exported) kept %.3f× of bare requests/s:"
                      + " its CPU per 1,000 requests is %.2f ms against %.2f ms for bare, and on two"
                      + " cores shared with the load generator that CPU comes out of throughput.",
                  r,
                  tracing.cpuMsPer1k(),
                  setUps.get("bare").cpuMsPer1k())));
      if (agent != null) {
        double a = agent.rpsRatio().median();
        targets.add(
            new Target(
                "tracing",
                "requests/s above the agent's",
                String.format(Locale.ROOT, "%.3f× vs %.3f×", r, a),
                r > a,
                String.format(
                    Locale.ROOT,
                    "`tracing` kept %.3f× of bare requests/s, the agent %.3f×.",
                    r,
                    a)));
      }
      Spread cpu = pairedSpread(runs, "tracing", "metrics", Run::cpuMsPer1k);
      if (cpu != null) {
        targets.add(
            new Target(
                "tracing",
                String.format(
                    Locale.ROOT,
                    "CPU per request < %.0f× metrics-only",
                    TRACING_MAX_CPU_OVER_METRICS),
                cpu.format("%.2f×"),
                cpu.median() < TRACING_MAX_CPU_OVER_METRICS,
                String.format(
                    Locale.ROOT,
                    "`tracing` spent %.2f× the CPU per request of `metrics` (%.2f against %.2f ms"
                        + " per 1,000 requests).",
                    cpu.median(),
                    tracing.cpuMsPer1k(),
                    metrics == null ? Double.NaN : metrics.cpuMsPer1k())));
      }
    }
    return targets;
  }

  /** Requests/s of {@code s} at least {@code min} times bare's (median over rounds). */
  private static Target rpsTarget(SetUp s, double min, String whyMissed) {
    return new Target(
        s.mode(),
        String.format(Locale.ROOT, "requests/s ≥ %.2f× bare", min),
        s.rpsRatio().format("%.3f×"),
        s.rpsRatio().median() >= min,
        whyMissed);
  }

  private static String markdown(
      Map<String, SetUp> setUps, List<Target> targets, List<Run> runs, String machine) {
    StringBuilder md = new StringBuilder();
    md.append("# Performance\n\n")
        .append("Generated by `benchmarks/run.sh` (do not edit by hand; run it again). ")
        .append(
            "Every figure below comes from that one command on the machine described at the end.\n\n");

    md.append("## Load test\n\n")
        .append(
            "`wrk` on loopback against `GET /api/v1/data/{symbol}/{timeframe}` of the same Javalin 7 app")
        .append(
            " (`LoadTarget`), in each set-up below, each a fresh JVM with the same flags, started one after")
        .append(
            " the other and interleaved over rounds (each round starts one set-up later). Requests/s and")
        .append(
            " p99 come from wrk; CPU and allocation are the target JVM's own, over exactly the measured")
        .append(
            " window (see [how it is measured](#how-the-load-test-measures)). Absolute figures are")
        .append(
            " medians over the rounds; ratios are the median (and range) over rounds of each set-up")
        .append(
            " relative to bare Javalin in the same round, which cancels the machine's drift between")
        .append(" rounds.\n\n");
    md.append("| set-up | what runs |\n|---|---|\n")
        .append("| bare | the app, no telemetry |\n")
        .append(
            "| metrics | ktrdr-telemetry metrics (`KtrdrTelemetry.setupMetrics` and the Javalin plugin),"
                + " its default histogram mode (`both`) |\n")
        .append(
            "| micrometer | Micrometer 1.17 `PrometheusMeterRegistry`, the HTTP server timer as"
                + " javalin-micrometer records it (below) |\n")
        .append(
            "| client_java | client_java 1.8's own `Histogram` in a minimal servlet filter: the floor"
                + " for metrics |\n")
        .append(
            "| tracing | ktrdr-telemetry metrics and tracing, every request sampled and exported over"
                + " OTLP/HTTP to the local sink |\n")
        .append(
            "| tracing-10 | as `tracing` with `OTEL_TRACES_SAMPLER=parentbased_traceidratio`,"
                + " `OTEL_TRACES_SAMPLER_ARG=0.1`"
                + keepKeys(machine)
                + " |\n")
        .append("| tracing-1 | the same at `OTEL_TRACES_SAMPLER_ARG=0.01` |\n")
        .append(
            "| agent | bare under the OpenTelemetry Java agent 2.31.0: every request traced to the same"
                + " sink, metrics on its Prometheus endpoint |\n\n");
    md.append(
            "| set-up | requests/s | ratio to bare (range) | p99 (ms) | p99 ratio (range) | CPU ms per"
                + " 1,000 requests (of which JIT) | CPU ratio to bare (range) | allocated per request |"
                + " start-up (ms) | resident memory (MB) | target |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (SetUp s : setUps.values()) {
      List<Target> own = targets.stream().filter(t -> t.setUp().equals(s.mode())).toList();
      String target =
          own.isEmpty()
              ? (s.mode().startsWith("tracing-") ? "no target: see below" : "")
              : own.stream().allMatch(Target::met) ? "**met**" : "**missed**";
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.0f | %s | %.2f | %s | %.2f (%.2f) | %s | %,.0f B | %.0f | %.0f | %s |%n",
              s.mode(),
              s.rps(),
              s.rpsRatio().format("%.3f"),
              s.p99(),
              s.p99Ratio().format("%.2f"),
              s.cpuMsPer1k(),
              s.jitCpuMsPer1k(),
              s.cpuRatio().format("%.2f"),
              s.allocBytesPerRequest(),
              s.startupMs(),
              s.rssMb(),
              target));
    }
    md.append(
        "\n![Requests per second, p99 latency and CPU per request, relative to bare Javalin](performance.png)\n\n");

    md.append("### Targets\n\n| set-up | target | measured | result |\n|---|---|---|---|\n");
    for (Target t : targets) {
      md.append("| ")
          .append(t.setUp())
          .append(" | ")
          .append(t.what())
          .append(" | ")
          .append(t.measured())
          .append(" | ")
          .append(t.met() ? "met" : "**missed**")
          .append(" |\n");
    }
    List<Target> missed = targets.stream().filter(t -> !t.met()).toList();
    if (!missed.isEmpty()) {
      md.append("\nMissed:\n\n");
      for (Target t : missed) {
        md.append("- ").append(t.what()).append(": ").append(t.whyMissed()).append('\n');
      }
    }
    md.append('\n').append(sampling(setUps)).append(sink(setUps));

    md.append("\n### How the load test measures\n\n")
        .append(
            "- **CPU per 1,000 requests**: `utime + stime` of the target JVM from `/proc/<pid>/stat` (all")
        .append(
            " its threads: Jetty, the handlers, telemetry, exporters, GC and JIT), read right before and")
        .append(
            " right after the measured wrk run, converted with `getconf CLK_TCK`, divided by the requests")
        .append(
            " wrk completed in that run. Clock ticks are 10 ms; a 15 s window on two cores holds about")
        .append(
            " 3,000, so rounding is below 0.1 %. It excludes the load generator and the sink, so it does")
        .append(
            " not depend on them the way requests/s does. In brackets, the part spent by the JIT")
        .append(
            " compiler threads (`C1/C2 CompilerThread`, from `/proc/<pid>/task/*/stat`): compilation")
        .append(
            " still going on after the 5 s warm-up, a start-up cost rather than a per-request one (a")
        .append(
            " compiler thread that HotSpot retires inside the window takes its count with it).\n")
        .append(
            "- **Allocated per request**: `LoadTarget` answers `GET /allocated` on a second port with a")
        .append(
            " separate JDK `HttpServer` outside Javalin and its telemetry: the sum of HotSpot's")
        .append(
            " per-thread allocation counters (`com.sun.management.ThreadMXBean.getThreadAllocatedBytes`)")
        .append(
            " over the JVM's live threads. run.sh reads it before and after the measured window and")
        .append(
            " divides the difference by the requests. Limits: a thread that ends inside the window takes")
        .append(
            " its count with it (Jetty keeps its pool threads for 60 s when idle, so none end under")
        .append(
            " steady load); the two reads of the counter are in the window (a few KB); under the agent")
        .append(
            " the counter's own server is instrumented too (two requests per window). Allocation is")
        .append(
            " stable across rounds and machines where CPU and requests/s are not: it is the figure to")
        .append(" trust on a busy machine.\n")
        .append(
            "- **OTLP sink**: `OtlpSink`, a JDK `HttpServer` in its own JVM that reads each export into a")
        .append(
            " per-thread buffer and answers 200 without decoding it. It runs unpinned on the same cores;")
        .append(
            " its CPU is measured over the same window as the target's and shown next to it (above).")
        .append(" Exports of spans ended in the last second of the")
        .append(
            " window leave after it (batch delay 1 s), balanced by the warm-up's exports inside it.\n")
        .append(
            "- **Peers**: all set-ups record the same HTTP server duration histogram per method, route")
        .append(
            " template and status. ktrdr-telemetry runs its defaults (`both`: a native histogram plus")
        .append(
            " classic buckets derived at scrape time). `micrometer` is what javalin-micrometer does")
        .append(
            " (its Javalin 7 release is not published, so `MicrometerPeer` is the equivalent few lines): a")
        .append(
            " filter around Javalin's servlet times each request and records `http.server.requests` with")
        .append(
            " tags `method`, `uri` (route template), `status`, `outcome`, `exception`, the timer looked")
        .append(
            " up in the registry per request, buckets at ktrdr-telemetry's 14 classic bounds (0.005 to 10")
        .append(" s) as service-level objectives. `client_java` (`ClientJavaPeer`) records")
        .append(
            " `http_server_request_duration_seconds` with client_java's `Histogram`, classic buckets")
        .append(
            " only, the same bounds, from the same filter. Each serves its scrape on `/metrics`; nothing")
        .append(" scrapes during the load.\n");

    md.append("\n### Reading the figures\n\n")
        .append(
            "- The machine has two cores shared by the load generator, the server and, for the tracing")
        .append(
            " set-ups, the OTLP sink: whatever CPU the telemetry spends shows in requests per second. CPU")
        .append(
            " per request counts the service alone, not the load generator or the sink, but it still")
        .append(
            " grows when the cores are contended (context switches, cold caches): like every figure here,")
        .append(
            " compare it between set-ups of one run, never across runs or machines. Allocated bytes per")
        .append(" request are the steadiest figure.\n")
        .append(
            "- `tracing` and `agent` sample and export every request; the CPU column holds span creation,")
        .append(
            " batching, protobuf encoding and the HTTP sends of the exporter. The per-request cost in")
        .append(
            " isolation (JMH) is in the request-cost section of this page when it is generated.\n\n");

    md.append(
        "All runs (round, requests/s, p99 ms, start-up ms, RSS MB, requests, CPU ms per 1,000 requests,"
            + " allocated B per request, sink CPU ms per 1,000 requests, exported B per request, JIT CPU ms"
            + " per 1,000 requests):\n\n```\n");
    for (Run run : runs) {
      md.append(
          String.format(
              Locale.ROOT,
              "%-11s %d %9.0f %7.2f %6.0f %5.0f %9d %7.2f %9.0f %6.3f %7.1f %6.2f%n",
              run.mode(),
              run.round(),
              run.rps(),
              run.p99(),
              run.startupMs(),
              run.rssMb(),
              run.requests(),
              run.cpuMsPer1k(),
              run.allocBytesPerRequest(),
              run.sinkCpuMsPer1k(),
              run.exportBytesPerRequest(),
              run.jitCpuMsPer1k()));
    }
    md.append("```\n\n## Machine\n\n```\n").append(machine).append("\n```\n\n");
    md.append("## Reproduce\n\n")
        .append(
            "<!-- doc-test: skip takes about 20 minutes and rewrites this page; run it by hand -->\n")
        .append("```bash\n")
        .append(
            "benchmarks/run.sh          # about 20-25 minutes; rewrites this page and performance.png\n")
        .append("```\n\n")
        .append(
            "`ROUNDS`, `DURATION` (seconds per measured run) and `CONNECTIONS` size the load test (defaults")
        .append(
            " 5, 10, 16: more, shorter rounds, because the machine drifts between runs). `KEEP_ENV=` runs `tracing-10` and `tracing-1` on the ratio sampler alone. For")
        .append(
            " development only, `SKIP_JMH=1` skips the JMH benchmarks and keeps their sections of the")
        .append(" page as they were. Raw results: `benchmarks/target/results/`.\n");
    return md.toString();
  }

  /** The keep keys of the sampling set-ups, from run.sh's "keep:" line of machine.txt. */
  static String keepKeys(String machine) {
    for (String line : machine.split("\n")) {
      if (line.startsWith("keep:") && line.contains("KTRDR_")) {
        return Arrays.stream(line.substring(line.indexOf("KTRDR_")).trim().split("\\s+"))
            .map(key -> ", `" + key + "`")
            .collect(Collectors.joining());
      }
    }
    return " (no keep keys)";
  }

  /** What the sampling rows show, computed. */
  private static String sampling(Map<String, SetUp> setUps) {
    SetUp metrics = setUps.get("metrics");
    SetUp tracing = setUps.get("tracing");
    if (metrics == null || tracing == null) {
      return "";
    }
    StringBuilder md =
        new StringBuilder(
            "Sampling (`tracing-10`, `tracing-1`) has no target of its own: the rows show what tracing"
                + " costs when only a share of traces is exported, next to `metrics` and `tracing`."
                + " With the keep keys, every request is still recorded until its root span ends and"
                + " then kept (error, or slower than the threshold) or dropped: the endpoint answers"
                + " 200 in a few ms, so the rows show the cost of that bookkeeping, not of keeping"
                + " more.\n\n");
    md.append(
        "| set-up | CPU per request over metrics-only | allocated per request over metrics-only |"
            + " exported per request |\n|---|---|---|---|\n");
    for (String mode : List.of("tracing", "tracing-10", "tracing-1")) {
      SetUp s = setUps.get(mode);
      if (s != null) {
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %+.2f ms per 1,000 (%.2f×) | %+,.0f B | %,.0f B |%n",
                mode,
                s.cpuMsPer1k() - metrics.cpuMsPer1k(),
                s.cpuMsPer1k() / metrics.cpuMsPer1k(),
                s.allocBytesPerRequest() - metrics.allocBytesPerRequest(),
                s.exportBytesPerRequest()));
      }
    }
    return md.append('\n').toString();
  }

  /** The sink's own cost next to the target's, for the set-ups that export. */
  private static String sink(Map<String, SetUp> setUps) {
    List<SetUp> exporting =
        setUps.values().stream().filter(s -> s.exportBytesPerRequest() > 0).toList();
    if (exporting.isEmpty()) {
      return "";
    }
    StringBuilder md =
        new StringBuilder(
            "The OTLP sink's CPU over the same windows, next to the target's:\n\n"
                + "| set-up | exported per request | sink CPU ms per 1,000 requests | share of the"
                + " target's CPU |\n|---|---|---|---|\n");
    double worst = 0;
    for (SetUp s : exporting) {
      double share = s.sinkCpuMsPer1k() / s.cpuMsPer1k();
      worst = Math.max(worst, share);
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %,.0f B | %.3f | %.1f %% |%n",
              s.mode(),
              s.exportBytesPerRequest(),
              s.sinkCpuMsPer1k(),
              100 * share));
    }
    return md.append(
            String.format(
                Locale.ROOT,
                "%nThe sink used at most %.1f %% of the CPU the target used (%s)%s.%n",
                100 * worst,
                exporting.stream().map(SetUp::mode).collect(Collectors.joining(", ")),
                worst < SINK_SMALL_SHARE
                    ? String.format(
                        Locale.ROOT,
                        ": under %.0f %%, small next to the differences between set-ups, so it runs"
                            + " unpinned next to the target",
                        100 * SINK_SMALL_SHARE)
                    : String.format(
                        Locale.ROOT,
                        ": %.0f %% or more, so the exporting set-ups' requests/s are lowered by the"
                            + " sink as well; their CPU per request is not",
                        100 * SINK_SMALL_SHARE)))
        .toString();
  }

  private static void chart(Map<String, SetUp> setUps, Path out) throws IOException {
    int width = 1200;
    int height = 440;
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    g.setColor(Color.DARK_GRAY);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.drawString(
        "Load test, relative to bare Javalin in the same round (median of rounds)", 20, 28);
    List<SetUp> modes = new ArrayList<>(setUps.values());
    int left = 80;
    int top = 60;
    int plotHeight = 300;
    int plotWidth = width - left - 40;
    double max = 1.5;
    for (SetUp s : modes) {
      max =
          Math.max(
              max,
              Math.max(
                      s.rpsRatio().median(), Math.max(s.p99Ratio().median(), s.cpuRatio().median()))
                  * 1.1);
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    double step = max > 4 ? 1 : max > 2 ? 0.5 : 0.25;
    for (double tick = 0; tick <= max; tick += step) {
      int y = top + plotHeight - (int) (tick / max * plotHeight);
      g.setColor(new Color(230, 230, 230));
      g.drawLine(left, y, left + plotWidth, y);
      g.setColor(Color.GRAY);
      g.drawString(String.format(Locale.ROOT, "%.2f×", tick), 30, y + 4);
    }
    int y1 = top + plotHeight - (int) (1.0 / max * plotHeight);
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(1.5f));
    g.drawLine(left, y1, left + plotWidth, y1);
    int group = plotWidth / modes.size();
    Color[] colors = {new Color(52, 120, 198), new Color(230, 126, 34), new Color(60, 160, 90)};
    String[] legend = {
      "requests/s (higher is better)",
      "p99 latency (lower is better)",
      "CPU per request (lower is better)"
    };
    int barWidth = group / 4;
    for (int i = 0; i < modes.size(); i++) {
      SetUp s = modes.get(i);
      double[] values = {s.rpsRatio().median(), s.p99Ratio().median(), s.cpuRatio().median()};
      int x0 = left + i * group + group / 8;
      for (int b = 0; b < values.length; b++) {
        int h = (int) (values[b] / max * plotHeight);
        g.setColor(colors[b]);
        g.fillRect(x0 + b * barWidth, top + plotHeight - h, barWidth - 4, h);
        g.setColor(Color.DARK_GRAY);
        g.drawString(
            String.format(Locale.ROOT, "%.2f", values[b]),
            x0 + b * barWidth,
            top + plotHeight - h - 4);
      }
      g.setColor(Color.BLACK);
      g.drawString(s.mode(), x0, top + plotHeight + 18);
    }
    for (int b = 0; b < legend.length; b++) {
      int x = left + b * 300;
      g.setColor(colors[b]);
      g.fillRect(x, height - 30, 14, 14);
      g.setColor(Color.DARK_GRAY);
      g.drawString(legend[b], x + 20, height - 19);
    }
    g.dispose();
    ImageIO.write(image, "png", out.toFile());
  }
}
