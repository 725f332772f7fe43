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
import java.util.Comparator;
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
 * <p>Usage: {@code Report <load.csv> <machine.txt> <out.md> <out.png>}, or {@code Report --print
 * <load.csv> <machine.txt>} (run.sh --quick) to print the tables, and the A/B of set-ups run from a
 * baseline build ({@code <mode>@base}), without touching the page.
 */
public final class Report {
  /** The set-ups in the order the page lists them; others found in the CSV follow. */
  static final List<String> ORDER =
      List.of(
          "bare",
          "bare-b",
          "floor",
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

  /** Our tracing's CPU over bare at most this times the floor's plus metrics-only's. */
  static final double FLOOR_MAX_CPU = 1.25;

  /** Our tracing's allocation over bare, and its export bytes, at most this times the floor's. */
  static final double FLOOR_MAX_BYTES = 1.10;

  /** Two identical set-ups (bare, bare-b) must land within this of each other, every round. */
  static final double RESOLUTION_TARGET = 0.05;

  /** The JIT compiler threads' share of a measured window's CPU must stay under this. */
  static final double JIT_QUIET = 0.02;

  /** Others (steal, other processes) may take at most this of the target's core in a window. */
  static final double DISTURBED_MAX = 0.05;

  /** Below this share of the target's CPU, the sink's own CPU is small next to the target's. */
  static final double SINK_SMALL_SHARE = 0.05;

  private static final Pattern MARKER_START = Pattern.compile("<!-- ([A-Za-z0-9_-]+):start -->");

  private Report() {}

  /** One load-test run, one line of load.csv. */
  record Run(
      String mode,
      int round,
      double rps,
      double p99,
      double firstScrapeMs,
      double rssMb,
      long requests,
      double cpuMsPer1k,
      double allocBytesPerRequest,
      double sinkCpuMsPer1k,
      double exportBytesPerRequest,
      double jitCpuMsPer1k,
      double warmupS,
      double loadS,
      double stealShare,
      double otherShare) {

    static Run parse(String line) {
      String[] f = line.split(",");
      if (f.length != 14 && f.length != 16) {
        throw new IllegalArgumentException(
            "load.csv: 16 fields expected (run.sh's header; 14 before steal_share and"
                + " other_share), got "
                + f.length
                + ": "
                + line);
      }
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
          Double.parseDouble(f[11]),
          Double.parseDouble(f[12]),
          Double.parseDouble(f[13]),
          f.length > 14 ? Double.parseDouble(f[14]) : 0,
          f.length > 14 ? Double.parseDouble(f[15]) : 0);
    }

    /**
     * The share of the target's core others took in the window: the hypervisor (steal) and other
     * processes.
     */
    double disturbedShare() {
      return stealShare + otherShare;
    }

    /**
     * CPU per request without the JIT compiler threads' ticks: the figure the targets on cost
     * compare. What compilation is left after the warm-up is counted, and checked, on its own.
     */
    double cpuWithoutJit() {
      return cpuMsPer1k - jitCpuMsPer1k;
    }

    /** The JIT compiler threads' share of the window's CPU. */
    double jitShare() {
      return cpuMsPer1k > 0 ? jitCpuMsPer1k / cpuMsPer1k : 0;
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

    /** The largest distance of a ratio from 1 over the rounds. */
    double worstDeviation() {
      return Math.max(Math.abs(max - 1), Math.abs(min - 1));
    }
  }

  /**
   * One set-up over all rounds: medians of the absolute figures, and the spread of its figures
   * relative to bare Javalin in the same round (requests/s, p99, CPU per request). {@code rssMb} is
   * round 1's (after a minute of load) when the run had a long round, else the median.
   */
  record SetUp(
      String mode,
      double rps,
      double p99,
      double cpuMsPer1k,
      double cpuWithoutJit,
      double jitShareMax,
      double allocBytesPerRequest,
      double firstScrapeMs,
      double rssMb,
      double sinkCpuMsPer1k,
      double exportBytesPerRequest,
      double warmupS,
      double disturbedMax,
      Spread rpsRatio,
      Spread p99Ratio,
      Spread cpuRatio) {}

  /** A target the page checks: what, for which set-up, the measured figure, met or not. */
  record Target(String setUp, String what, String measured, boolean met, String whyMissed) {}

  public static void main(String[] args) throws IOException {
    boolean print = args[0].equals("--print");
    int a = print ? 1 : 0;
    List<Run> runs = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(args[a]))) {
      if (!line.isBlank() && !line.startsWith("mode")) {
        runs.add(Run.parse(line));
      }
    }
    String machine = Files.readString(Path.of(args[a + 1])).trim();
    boolean longRound = machine.lines().anyMatch(l -> l.startsWith("long:"));
    List<Run> used = usable(runs);
    Map<String, SetUp> setUps = summarize(used, longRound);
    List<Target> targets = targets(setUps, used);
    if (print) {
      System.out.println(
          "```\n"
              + machine
              + "\n```\n\n"
              + table(setUps, targets, longRound, runs)
              + "\n"
              + targetsSection(targets)
              + "\n"
              + floorSection(setUps, used)
              + ab(used));
      return;
    }
    Path page = Path.of(args[2]);
    String previous = Files.exists(page) ? Files.readString(page) : "";
    StringBuilder md = new StringBuilder(markdown(setUps, targets, used, runs, machine, longRound));
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

  /**
   * The windows the figures use: of each set-up, those in which others (steal, other processes)
   * took at most {@link #DISTURBED_MAX} of the target's core, or all of its windows when none was
   * that quiet. In the order of the CSV.
   */
  static List<Run> usable(List<Run> runs) {
    java.util.Set<String> withClean =
        runs.stream()
            .filter(run -> run.disturbedShare() <= DISTURBED_MAX)
            .map(Run::mode)
            .collect(Collectors.toSet());
    return runs.stream()
        .filter(run -> run.disturbedShare() <= DISTURBED_MAX || !withClean.contains(run.mode()))
        .toList();
  }

  static Map<String, SetUp> summarize(List<Run> runs) {
    return summarize(runs, false);
  }

  /**
   * Per set-up, in {@link #ORDER}: medians and spreads relative to bare in the same round; in a
   * round whose bare window is not among {@code runs} (see {@link #usable}), relative to bare-b,
   * the same set-up in a second JVM.
   */
  static Map<String, SetUp> summarize(List<Run> runs, boolean longRound) {
    Map<Integer, Run> bare = new LinkedHashMap<>();
    Map<Integer, Run> baseline = new LinkedHashMap<>();
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
    baseline.putAll(bare);
    runs.stream()
        .filter(run -> run.mode().equals("bare-b"))
        .forEach(run -> baseline.putIfAbsent(run.round(), run));
    Map<String, SetUp> result = new LinkedHashMap<>();
    byMode.forEach(
        (mode, list) -> {
          Map<Integer, Run> base = mode.equals("bare-b") ? bare : baseline;
          List<Run> paired = list.stream().filter(run -> base.containsKey(run.round())).toList();
          if (list.isEmpty() || base.isEmpty()) {
            return;
          }
          double rss =
              longRound
                  ? list.stream()
                      .filter(run -> run.round() == 1)
                      .mapToDouble(Run::rssMb)
                      .findFirst()
                      .orElse(medianOf(list, Run::rssMb))
                  : medianOf(list, Run::rssMb);
          result.put(
              mode,
              new SetUp(
                  mode,
                  medianOf(list, Run::rps),
                  medianOf(list, Run::p99),
                  medianOf(list, Run::cpuMsPer1k),
                  medianOf(list, Run::cpuWithoutJit),
                  list.stream().mapToDouble(Run::jitShare).max().orElse(0),
                  medianOf(list, Run::allocBytesPerRequest),
                  medianOf(list, Run::firstScrapeMs),
                  rss,
                  medianOf(list, Run::sinkCpuMsPer1k),
                  medianOf(list, Run::exportBytesPerRequest),
                  medianOf(list, Run::warmupS),
                  list.stream().mapToDouble(Run::disturbedShare).max().orElse(0),
                  ratioSpread(list, paired, base, Run::rps),
                  ratioSpread(list, paired, base, Run::p99),
                  ratioSpread(list, paired, base, Run::cpuWithoutJit)));
        });
    return result;
  }

  private static double medianOf(List<Run> runs, ToDoubleFunction<Run> figure) {
    return median(runs.stream().mapToDouble(figure).toArray());
  }

  /**
   * The figure of {@code paired} over the baseline of the same round; a set-up none of whose
   * windows has a baseline in its round (all disturbed there) is taken to the medians instead.
   */
  private static Spread ratioSpread(
      List<Run> all, List<Run> paired, Map<Integer, Run> bare, ToDoubleFunction<Run> figure) {
    if (paired.isEmpty()) {
      double ratio = medianOf(all, figure) / medianOf(new ArrayList<>(bare.values()), figure);
      return new Spread(ratio, ratio, ratio);
    }
    return ratioSpread(paired, bare, figure);
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
    Map<Integer, Run> bs = byRound(runs, b);
    double[] ratios =
        runs.stream()
            .filter(run -> run.mode().equals(a) && bs.containsKey(run.round()))
            .mapToDouble(
                run -> figure.applyAsDouble(run) / figure.applyAsDouble(bs.get(run.round())))
            .toArray();
    return ratios.length == 0 ? null : Spread.of(ratios);
  }

  private static Map<Integer, Run> byRound(List<Run> runs, String mode) {
    Map<Integer, Run> result = new LinkedHashMap<>();
    runs.stream()
        .filter(run -> run.mode().equals(mode))
        .forEach(run -> result.put(run.round(), run));
    return result;
  }

  /**
   * Per round, what {@code a} adds over bare (bare-b where the round has no bare window) divided by
   * the sum of what {@code parts} add over it in the same round; rounds missing one of them are
   * left out. Null when no round has them all.
   */
  static Spread overheadRatio(
      List<Run> runs, String a, List<String> parts, ToDoubleFunction<Run> figure) {
    Map<Integer, Run> bare = byRound(runs, "bare");
    byRound(runs, "bare-b").forEach(bare::putIfAbsent);
    Map<Integer, Run> as = byRound(runs, a);
    List<Map<Integer, Run>> ps = parts.stream().map(p -> byRound(runs, p)).toList();
    List<Double> ratios = new ArrayList<>();
    for (Map.Entry<Integer, Run> e : as.entrySet()) {
      Run b = bare.get(e.getKey());
      if (b == null || ps.stream().anyMatch(p -> !p.containsKey(e.getKey()))) {
        continue;
      }
      double base = figure.applyAsDouble(b);
      double sum = 0;
      for (Map<Integer, Run> p : ps) {
        sum += figure.applyAsDouble(p.get(e.getKey())) - base;
      }
      if (sum > 0) {
        ratios.add((figure.applyAsDouble(e.getValue()) - base) / sum);
      }
    }
    return ratios.isEmpty()
        ? null
        : Spread.of(ratios.stream().mapToDouble(Double::doubleValue).toArray());
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n == 0
        ? Double.NaN
        : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /**
   * The run's resolution: the largest distance between two identical set-ups (bare-b over bare, CPU
   * per request) over the rounds, or null without bare-b.
   */
  static Spread resolution(List<Run> runs) {
    return pairedSpread(runs, "bare-b", "bare", Run::cpuWithoutJit);
  }

  /** The page's targets, each computed from the figures. */
  static List<Target> targets(Map<String, SetUp> setUps, List<Run> runs) {
    List<Target> targets = new ArrayList<>();
    SetUp bare = setUps.get("bare");
    SetUp metrics = setUps.get("metrics");
    SetUp tracing = setUps.get("tracing");
    SetUp floor = setUps.get("floor");
    SetUp agent = setUps.get("agent");
    Spread resolution = resolution(runs);
    if (resolution != null) {
      Spread rps = pairedSpread(runs, "bare-b", "bare", Run::rps);
      targets.add(
          new Target(
              "bare-b",
              String.format(
                  Locale.ROOT,
                  "resolution: two identical set-ups within %.0f %% in CPU per request (without JIT),"
                      + " every round",
                  100 * RESOLUTION_TARGET),
              String.format(
                  Locale.ROOT,
                  "%.1f %% (bare-b / bare %s)",
                  100 * resolution.worstDeviation(),
                  resolution.format("%.3f")),
              resolution.worstDeviation() <= RESOLUTION_TARGET,
              String.format(
                  Locale.ROOT,
                  "two JVMs of the same bare set-up landed up to %.1f %% apart in CPU per request"
                      + " (requests/s: %s)%s: differences between set-ups below that are noise in"
                      + " this run.",
                  100 * resolution.worstDeviation(),
                  rps == null ? "n/a" : rps.format("%.3f"),
                  worstBareRound(runs))));
    }
    Run disturbed = runs.stream().max(Comparator.comparingDouble(Run::disturbedShare)).orElse(null);
    if (disturbed != null) {
      targets.add(
          new Target(
              "all",
              String.format(
                  Locale.ROOT,
                  "the figures from windows with the target's core its own: steal and other"
                      + " processes under %.0f %%",
                  100 * DISTURBED_MAX),
              String.format(
                  Locale.ROOT,
                  "at most %.1f %% (%s, round %d)",
                  100 * disturbed.disturbedShare(),
                  disturbed.mode(),
                  disturbed.round()),
              disturbed.disturbedShare() <= DISTURBED_MAX,
              String.format(
                  Locale.ROOT,
                  "`%2$s` had no window in which others left its core alone, even after run.sh"
                      + " measured again (DISTURBED_RETRIES), so its figures come from disturbed"
                      + " windows: in round %1$d the hypervisor took %3$.1f %% of the target's core"
                      + " (steal) and other processes %4$.1f %%. The shares of every window are in"
                      + " the runs below.",
                  disturbed.round(),
                  disturbed.mode(),
                  100 * disturbed.stealShare(),
                  100 * disturbed.otherShare())));
    }
    Run noisiest = runs.stream().max(Comparator.comparingDouble(Run::jitShare)).orElse(null);
    if (noisiest != null) {
      targets.add(
          new Target(
              "all",
              String.format(
                  Locale.ROOT,
                  "JIT compilation under %.0f %% of every measured window's CPU",
                  100 * JIT_QUIET),
              String.format(
                  Locale.ROOT,
                  "at most %.2f %% (%s, round %d)",
                  100 * noisiest.jitShare(),
                  noisiest.mode(),
                  noisiest.round()),
              noisiest.jitShare() < JIT_QUIET,
              String.format(
                  Locale.ROOT,
                  "`%s` in round %d still compiled in %.2f %% of its measured window after %.0f s"
                      + " of warm-up (run.sh stops warming up at WARMUP_MAX).",
                  noisiest.mode(),
                  noisiest.round(),
                  100 * noisiest.jitShare(),
                  noisiest.warmupS())));
    }
    if (metrics != null && bare != null) {
      double extraCpu = metrics.cpuWithoutJit() - bare.cpuWithoutJit();
      targets.add(
          rpsTarget(
              metrics,
              METRICS_MIN_RATIO,
              String.format(
                      Locale.ROOT,
                      "`metrics` kept %.3f× of bare requests/s (rounds %.3f–%.3f) and spent %+.2f µs"
                          + " of CPU per request over bare",
                      metrics.rpsRatio().median(),
                      metrics.rpsRatio().min(),
                      metrics.rpsRatio().max(),
                      extraCpu)
                  + withinResolution(1 - metrics.rpsRatio().median(), resolution)));
    }
    if (tracing != null && floor != null && metrics != null && bare != null) {
      targets.addAll(floorTargets(setUps, runs, resolution));
    }
    if (tracing != null && bare != null) {
      double r = tracing.rpsRatio().median();
      targets.add(
          rpsTarget(
              tracing,
              TRACING_MIN_RATIO,
              String.format(
                  Locale.ROOT,
                  "`tracing` (every request sampled and exported) kept %.3f× of bare requests/s:"
                      + " it spends %.2f µs of CPU per request against %.2f µs for bare, on one"
                      + " pinned core that CPU comes straight out of throughput%s.",
                  r,
                  tracing.cpuWithoutJit(),
                  bare.cpuWithoutJit(),
                  floor == null
                      ? ""
                      : String.format(
                          Locale.ROOT,
                          "; OpenTelemetry alone (`floor`, no metrics) keeps %.3f×",
                          floor.rpsRatio().median()))));
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
      Spread cpu = pairedSpread(runs, "tracing", "metrics", Run::cpuWithoutJit);
      if (cpu != null) {
        targets.add(
            new Target(
                "tracing",
                String.format(
                    Locale.ROOT,
                    "CPU per request (without JIT) < %.0f× metrics-only",
                    TRACING_MAX_CPU_OVER_METRICS),
                cpu.format("%.2f×"),
                cpu.median() < TRACING_MAX_CPU_OVER_METRICS,
                String.format(
                    Locale.ROOT,
                    "`tracing` spent %.2f× the CPU per request of `metrics` (%.2f against %.2f µs).",
                    cpu.median(),
                    tracing.cpuWithoutJit(),
                    metrics == null ? Double.NaN : metrics.cpuWithoutJit())));
      }
    }
    return targets;
  }

  /** The targets against OpenTelemetry alone: CPU, allocation and export bytes. */
  private static List<Target> floorTargets(
      Map<String, SetUp> setUps, List<Run> runs, Spread resolution) {
    SetUp bare = setUps.get("bare");
    SetUp floor = setUps.get("floor");
    SetUp metrics = setUps.get("metrics");
    SetUp tracing = setUps.get("tracing");
    List<Target> targets = new ArrayList<>();
    List<String> parts = List.of("floor", "metrics");
    Spread cpu = overheadRatio(runs, "tracing", parts, Run::cpuWithoutJit);
    if (cpu != null) {
      double ours = tracing.cpuWithoutJit() - bare.cpuWithoutJit();
      double budget =
          (floor.cpuWithoutJit() - bare.cpuWithoutJit())
              + (metrics.cpuWithoutJit() - bare.cpuWithoutJit());
      double above = ours - FLOOR_MAX_CPU * budget;
      double ratio = ours / budget;
      double noise =
          resolution == null ? Double.NaN : resolution.worstDeviation() * bare.cpuWithoutJit();
      targets.add(
          new Target(
              "tracing",
              String.format(
                  Locale.ROOT,
                  "CPU without JIT over bare ≤ %.2f× (floor's + metrics-only's), from the medians",
                  FLOOR_MAX_CPU),
              String.format(Locale.ROOT, "%.2f× (rounds %.2f×–%.2f×)", ratio, cpu.min(), cpu.max()),
              budget > 0 && ratio <= FLOOR_MAX_CPU,
              String.format(
                  Locale.ROOT,
                  "`tracing` spends %+.2f µs of CPU per request over bare, OpenTelemetry alone"
                      + " %+.2f µs and our metrics %+.2f µs: %.2f× their sum, %.2f µs per request"
                      + " above %.2f× of it%s. Where that time goes: [tracing.md, performance"
                      + " notes](tracing.md#performance-notes).",
                  ours,
                  floor.cpuWithoutJit() - bare.cpuWithoutJit(),
                  metrics.cpuWithoutJit() - bare.cpuWithoutJit(),
                  ratio,
                  above,
                  FLOOR_MAX_CPU,
                  Double.isNaN(noise)
                      ? ""
                      : String.format(
                          Locale.ROOT,
                          " (this run resolves %.2f µs per request: %s)",
                          noise,
                          Math.abs(above) <= noise ? "within its noise" : "beyond its noise"))));
    }
    Spread alloc = overheadRatio(runs, "tracing", parts, Run::allocBytesPerRequest);
    if (alloc != null) {
      targets.add(
          new Target(
              "tracing",
              String.format(
                  Locale.ROOT,
                  "allocated over bare ≤ %.2f× (floor's + metrics-only's)",
                  FLOOR_MAX_BYTES),
              alloc.format("%.2f×"),
              alloc.median() <= FLOOR_MAX_BYTES,
              String.format(
                  Locale.ROOT,
                  "`tracing` allocates %+,.0f B per request over bare, OpenTelemetry alone %+,.0f B"
                      + " and our metrics %+,.0f B: %.2f× their sum.",
                  tracing.allocBytesPerRequest() - bare.allocBytesPerRequest(),
                  floor.allocBytesPerRequest() - bare.allocBytesPerRequest(),
                  metrics.allocBytesPerRequest() - bare.allocBytesPerRequest(),
                  alloc.median())));
    }
    Spread exported = pairedSpread(runs, "tracing", "floor", Run::exportBytesPerRequest);
    if (exported != null && floor.exportBytesPerRequest() > 0) {
      targets.add(
          new Target(
              "tracing",
              String.format(
                  Locale.ROOT, "exported per request ≤ %.2f× the floor's", FLOOR_MAX_BYTES),
              exported.format("%.2f×"),
              exported.median() <= FLOOR_MAX_BYTES,
              String.format(
                  Locale.ROOT,
                  "`tracing` sends %,.0f B of OTLP per request, OpenTelemetry alone %,.0f B.",
                  tracing.exportBytesPerRequest(),
                  floor.exportBytesPerRequest())));
    }
    return targets;
  }

  /**
   * The round in which bare-b lands farthest from bare, with what others took of the core in each
   * of the two windows; empty without both.
   */
  private static String worstBareRound(List<Run> runs) {
    Map<Integer, Run> bare = byRound(runs, "bare");
    Run worst = null;
    double distance = -1;
    for (Run b : byRound(runs, "bare-b").values()) {
      Run a = bare.get(b.round());
      double d = a == null ? -1 : Math.abs(b.cpuWithoutJit() / a.cpuWithoutJit() - 1);
      if (d > distance) {
        distance = d;
        worst = b;
      }
    }
    if (worst == null) {
      return "";
    }
    Run a = bare.get(worst.round());
    return String.format(
        Locale.ROOT,
        "; farthest in round %d, %.2f against %.2f µs, where steal and other processes took %.1f %%"
            + " of the core in bare-b's window and %.1f %% in bare's",
        worst.round(),
        worst.cpuWithoutJit(),
        a.cpuWithoutJit(),
        100 * worst.disturbedShare(),
        100 * a.disturbedShare());
  }

  /** ", within this run's resolution" when {@code gap} (a ratio's distance) is below it. */
  private static String withinResolution(double gap, Spread resolution) {
    if (resolution == null) {
      return ".";
    }
    return String.format(
        Locale.ROOT,
        gap <= resolution.worstDeviation()
            ? ": a gap of %.1f %%, within this run's resolution (%.1f %%)."
            : ": a gap of %.1f %%, beyond this run's resolution (%.1f %%).",
        100 * gap,
        100 * resolution.worstDeviation());
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

  /** What each set-up runs, for the page's first table. */
  private static String description(String mode, String machine) {
    return switch (mode) {
      case "bare" -> "the app, no telemetry";
      case "bare-b" ->
          "the same as `bare` in a second JVM, measured in every round next to it: how far two"
              + " identical set-ups land apart (the run's resolution)";
      case "floor" ->
          "OpenTelemetry alone (`OtelFloor`): the SDK configured as ktrdr-telemetry configures it, the"
              + " same server span (name, kind, attributes, status) per request in a minimal servlet"
              + " filter, the same batch processor and OTLP/HTTP exporter to the same sink; no metrics,"
              + " no plugin";
      case "metrics" ->
          "ktrdr-telemetry metrics (`KtrdrTelemetry.setupMetrics` and the Javalin plugin), its default"
              + " histogram mode (`both`)";
      case "micrometer" ->
          "Micrometer 1.17 `PrometheusMeterRegistry`, the HTTP server timer as javalin-micrometer"
              + " records it (below)";
      case "client_java" ->
          "client_java 1.8's own `Histogram` in a minimal servlet filter: the floor for metrics";
      case "tracing" ->
          "ktrdr-telemetry metrics and tracing, every request sampled and exported over OTLP/HTTP to"
              + " the local sink";
      case "tracing-10" ->
          "as `tracing` with `OTEL_TRACES_SAMPLER=parentbased_traceidratio`,"
              + " `OTEL_TRACES_SAMPLER_ARG=0.1`"
              + keepKeys(machine);
      case "tracing-1" ->
          "as `tracing` with `OTEL_TRACES_SAMPLER=parentbased_traceidratio`,"
              + " `OTEL_TRACES_SAMPLER_ARG=0.01`"
              + keepKeys(machine);
      case "agent" ->
          "bare under the OpenTelemetry Java agent 2.31.0: every request traced to the same sink,"
              + " metrics on its Prometheus endpoint";
      default ->
          mode.endsWith("@base")
              ? "`" + mode.substring(0, mode.length() - 5) + "` built from the A/B's baseline"
              : "";
    };
  }

  /** The main table: one row per set-up. */
  static String table(Map<String, SetUp> setUps, List<Target> targets, boolean longRound) {
    return table(setUps, targets, longRound, List.of());
  }

  /**
   * The main table; {@code allRuns}, every window of the run, gives how many of each set-up's
   * windows the figures use (see {@link #usable}).
   */
  static String table(
      Map<String, SetUp> setUps, List<Target> targets, boolean longRound, List<Run> allRuns) {
    List<Run> used = usable(allRuns);
    StringBuilder md =
        new StringBuilder(
            "| set-up | requests/s | ratio to bare (range) | p99 (ms) | p99 ratio (range) | CPU µs"
                + " per request | without JIT | its ratio to bare (range) | JIT share of the window"
                + " (max) | core taken by others (max; windows used) | allocated per request | exported per request |"
                + " warm-up (s) | first scrape (ms) |"
                + (longRound
                    ? " resident memory after ≥ 1 min of load (MB)"
                    : " resident memory (MB)")
                + " | target |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (SetUp s : setUps.values()) {
      List<Target> own = targets.stream().filter(t -> t.setUp().equals(s.mode())).toList();
      String target =
          own.isEmpty()
              ? (s.mode().startsWith("tracing-") ? "no target: see below" : "")
              : own.stream().allMatch(Target::met) ? "**met**" : "**missed**";
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.0f | %s | %.2f | %s | %.2f | %.2f | %s | %.2f %% | %.1f %%%s | %,.0f B | %,.0f"
                  + " B | %.0f | %.0f | %.0f | %s |%n",
              s.mode(),
              s.rps(),
              s.rpsRatio().format("%.3f"),
              s.p99(),
              s.p99Ratio().format("%.2f"),
              s.cpuMsPer1k(),
              s.cpuWithoutJit(),
              s.cpuRatio().format("%.3f"),
              100 * s.jitShareMax(),
              100 * s.disturbedMax(),
              allRuns.isEmpty()
                  ? ""
                  : String.format(
                      Locale.ROOT,
                      "; %d of %d",
                      used.stream().filter(r -> r.mode().equals(s.mode())).count(),
                      allRuns.stream().filter(r -> r.mode().equals(s.mode())).count()),
              s.allocBytesPerRequest(),
              s.exportBytesPerRequest(),
              s.warmupS(),
              s.firstScrapeMs(),
              s.rssMb(),
              target));
    }
    return md.toString();
  }

  static String targetsSection(List<Target> targets) {
    StringBuilder md =
        new StringBuilder(
            "### Targets\n\n| set-up | target | measured | result |\n|---|---|---|---|\n");
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
    return md.toString();
  }

  /** What each set-up adds over bare, next to OpenTelemetry alone. */
  static String floorSection(Map<String, SetUp> setUps, List<Run> runs) {
    SetUp bare = setUps.get("bare");
    SetUp floor = setUps.get("floor");
    SetUp metrics = setUps.get("metrics");
    if (bare == null || floor == null || metrics == null) {
      return "";
    }
    StringBuilder md =
        new StringBuilder(
            "### Against the floor: OpenTelemetry alone\n\n"
                + "What each set-up adds over `bare` (medians over rounds, each round against its own"
                + " bare JVM). `floor + metrics` is the sum of the two rows above it: what"
                + " OpenTelemetry alone and our metrics cost together, the budget our `tracing`"
                + " (metrics and a span per request) is held to. Resolution in these units: the"
                + " largest bare-b − bare difference of the run. The CPU is without the JIT compiler threads' ticks; the ratio is that of the"
                + " medians, its range that of the rounds (each a difference of differences, so"
                + " a disturbed bare window throws it far). Which frames the difference is in:"
                + " [where the CPU goes](#where-the-cpu-goes), from `benchmarks/profile.sh`.\n\n"
                + "| set-up | CPU µs per request over bare (without JIT) | allocated per request over"
                + " bare | exported per request | ratio to `floor + metrics` (CPU) |\n"
                + "|---|---|---|---|---|\n");
    for (String mode :
        List.of(
            "bare-b",
            "floor",
            "metrics",
            "floor + metrics",
            "tracing",
            "tracing-10",
            "tracing-1",
            "agent")) {
      double cpu;
      double alloc;
      double exported;
      String ratio = "";
      if (mode.equals("floor + metrics")) {
        cpu = floor.cpuWithoutJit() + metrics.cpuWithoutJit() - 2 * bare.cpuWithoutJit();
        alloc =
            floor.allocBytesPerRequest()
                + metrics.allocBytesPerRequest()
                - 2 * bare.allocBytesPerRequest();
        exported = floor.exportBytesPerRequest() + metrics.exportBytesPerRequest();
        ratio = "1";
      } else {
        SetUp s = setUps.get(mode);
        if (s == null) {
          continue;
        }
        cpu = s.cpuWithoutJit() - bare.cpuWithoutJit();
        alloc = s.allocBytesPerRequest() - bare.allocBytesPerRequest();
        exported = s.exportBytesPerRequest();
        double budget = floor.cpuWithoutJit() + metrics.cpuWithoutJit() - 2 * bare.cpuWithoutJit();
        if ((mode.startsWith("tracing") || mode.equals("agent")) && budget > 0) {
          Spread r = overheadRatio(runs, mode, List.of("floor", "metrics"), Run::cpuWithoutJit);
          ratio =
              String.format(Locale.ROOT, "%.2f×", cpu / budget)
                  + (r == null
                      ? ""
                      : String.format(Locale.ROOT, " (rounds %.2f×–%.2f×)", r.min(), r.max()));
        }
      }
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %+.2f | %+,.0f B | %,.0f B | %s |%n",
              mode,
              cpu,
              alloc,
              exported,
              ratio));
    }
    return md.append('\n').toString();
  }

  /** --quick --against: each set-up against the same set-up built from the baseline. */
  static String ab(List<Run> runs) {
    List<String> modes =
        runs.stream().map(Run::mode).filter(m -> !m.endsWith("@base")).distinct().toList();
    StringBuilder md = new StringBuilder();
    for (String mode : modes) {
      Spread cpu = pairedSpread(runs, mode, mode + "@base", Run::cpuWithoutJit);
      if (cpu == null) {
        continue;
      }
      if (md.length() == 0) {
        md.append(
            "### A/B: this build over the baseline's, per round\n\n"
                + "| set-up | CPU per request | allocated per request | requests/s |\n"
                + "|---|---|---|---|\n");
      }
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s |%n",
              mode,
              cpu.format("%.3f×"),
              pairedSpread(runs, mode, mode + "@base", Run::allocBytesPerRequest).format("%.3f×"),
              pairedSpread(runs, mode, mode + "@base", Run::rps).format("%.3f×")));
    }
    Spread resolution = resolution(runs);
    if (md.length() > 0 && resolution != null) {
      md.append(
          String.format(
              Locale.ROOT,
              "%nThe run's resolution (bare-b over bare, CPU per request): %.1f %%; a ratio closer to"
                  + " 1 than that is noise.%n",
              100 * resolution.worstDeviation()));
    }
    return md.toString();
  }

  private static String markdown(
      Map<String, SetUp> setUps,
      List<Target> targets,
      List<Run> runs,
      List<Run> allRuns,
      String machine,
      boolean longRound) {
    StringBuilder md = new StringBuilder();
    md.append("# Performance\n\n")
        .append("Generated by `benchmarks/run.sh` (do not edit by hand; run it again). ")
        .append(
            "Every figure below comes from that one command on the machine described at the end.\n\n");

    md.append("## Load test\n\n")
        .append(
            "`wrk` on loopback against `GET /api/v1/data/{symbol}/{timeframe}` of the same Javalin 7 app")
        .append(
            " (`LoadTarget`), in each set-up below, each one JVM with the same flags for the whole run:")
        .append(
            " the JVMs start one after the other in round 1, are warmed up once until their JIT is quiet,")
        .append(
            " and the rounds interleave them (each round starts one set-up later), each measured on a")
        .append(
            " core of its own (see [how it is measured](#how-the-load-test-measures)). Requests/s and")
        .append(" p99 come from wrk; CPU and")
        .append(
            " allocation are the target JVM's own, over exactly the measured window. Absolute figures are")
        .append(
            " medians over the rounds; ratios are the median (and range) over rounds of each set-up")
        .append(
            " relative to bare Javalin in the same round, which cancels the machine's drift between")
        .append(" rounds.\n\n");
    md.append("| set-up | what runs |\n|---|---|\n");
    for (String mode : setUps.keySet()) {
      md.append("| ").append(mode).append(" | ").append(description(mode, machine)).append(" |\n");
    }
    md.append('\n').append(table(setUps, targets, longRound, allRuns));
    md.append(
        "\n![Requests per second, p99 latency and CPU per request, relative to bare Javalin](performance.png)\n\n");
    md.append(targetsSection(targets)).append('\n');
    md.append(floorSection(setUps, runs));
    md.append(sampling(setUps)).append(sink(setUps));

    md.append("\n### How the load test measures\n\n")
        .append("- **Pinning and warm-up**: each target JVM starts in round 1 on all cores (so its")
        .append(" ergonomics, GC and")
        .append(
            " compiler threads are those of a 2-core machine) and wrk, pinned with the OTLP sink to the")
        .append(
            " other core (`LOAD_CPU`), loads it in 3 s chunks. After each chunk run.sh compares the CPU")
        .append(
            " time of the JVM's compiler threads (`C1/C2 CompilerThread`, from `/proc/<pid>/task/*/stat`)")
        .append(
            " with the JVM's: once it is under 2 % of a chunk (and at least 6 s have passed), or after")
        .append(
            " `WARMUP_MAX` seconds, every thread of the JVM is pinned to `TARGET_CPU` with `taskset -a`")
        .append(
            " and loaded there in the same chunks until two chunks in a row are quiet (within the same")
        .append(
            " `WARMUP_MAX`, 90 s); then the measured window starts. The warm-up is long because C2")
        .append(" compiles behind a saturated server on one core (the warm-up column above: half a")
        .append(
            " minute for `bare`, about a minute for tracing and the agent), so each JVM is warmed up once and")
        .append(
            " kept for every round. Between its windows it is parked on `LOAD_CPU` (its threads idle")
        .append(
            " there), and before each later window it is moved back and loaded in chunks until one is")
        .append(
            " quiet (at most `SETTLE_MAX`, 9 s). The compiler's share of each measured window is in the")
        .append(
            " table and checked as a target: the window measures steady state, not compilation.\n")
        .append(
            "- **CPU per request**: `utime + stime` of the target JVM from `/proc/<pid>/stat` (all its")
        .append(
            " threads, ended ones included: Jetty, the handlers, telemetry, exporters, GC and JIT), read")
        .append(
            " right before and right after the measured wrk run, converted with `getconf CLK_TCK`,")
        .append(
            " divided by the requests wrk completed in that run. The target has one core to itself, so")
        .append(
            " this is the figure the load generator and the sink do not disturb. Ticks are 10 ms; a 10 s")
        .append(
            " window on one busy core holds about 1,000, so rounding is about 0.1 %. The targets on")
        .append(
            " cost, the ratios and the resolution use it without the ticks of the JIT compiler threads")
        .append(
            " (`without JIT`): compilation left after the warm-up is shown and checked on its own, and")
        .append(" does not land in whichever set-up happened to still compile.\n")
        .append(
            "- **Resolution**: `bare-b` is `bare` again in a second JVM, measured in every round. The")
        .append(
            " largest distance between the two over the rounds is the smallest difference between")
        .append(
            " set-ups this run can tell from noise: JIT decisions and heap layout differ from JVM to JVM")
        .append(
            " and stay with it (each set-up is one JVM), the machine's drift differs from round to")
        .append(" round. It is checked against 5 % as a target.\n")
        .append(
            "- **A core of its own**: around the measured window run.sh also reads the target core's")
        .append(
            " line of `/proc/stat`: the ticks the hypervisor took from it (steal, other VMs on the same")
        .append(
            " host) and its busy ticks beyond the target JVM's own (other processes). A window in which")
        .append(" they took more than 5 % of the core (`DISTURBED_MAX`) is measured again, up to")
        .append(
            " `DISTURBED_RETRIES` (1) time; the kept window's shares are in the runs below. The figures")
        .append(
            " and targets use, of each set-up, only its windows under that 5 % (all of them when it has")
        .append(
            " none, which is then a missed target), and in a round whose bare window is disturbed the")
        .append(
            " ratios are taken to bare-b, the same set-up; the table says how many windows each set-up")
        .append(
            " kept. Steal lowers requests/s and raises p99, and on this kind of host it raises CPU per")
        .append(
            " request as well (the other guest shares the physical core and its caches; compare the")
        .append(
            " steal column of the runs below with their CPU): disturbed windows are left out, not")
        .append(" corrected.\n")
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
            " its count with it (`LoadTarget` keeps Jetty's idle pool threads for an hour instead of")
        .append(
            " Javalin's minute, so none end while a JVM is parked between its windows); the two reads")
        .append(" of the counter are in the window (a few KB); under the agent")
        .append(" the counter's own server is instrumented too (two requests per window).\n")
        .append(
            "- **Start-up and memory**: first scrape is the time from starting the JVM to the first")
        .append(
            " successful `GET /metrics` (the agent's own Prometheus endpoint under the agent; `bare`,")
        .append(
            " `bare-b` and `floor` serve no metrics: their first answer on `/health`)."
                + (longRound
                    ? " In round 1 the measured window lasts until the JVM has been under load for"
                        + " a minute (at least 10 s, after a longer warm-up), and its resident memory"
                        + " (`VmRSS`) is read then; the other rounds measure a 10 s window."
                    : " Resident memory (`VmRSS`) is read at the end of each measured window.")
                + "\n")
        .append(
            "- **OTLP sink**: `OtlpSink`, a JDK `HttpServer` in its own JVM, pinned with the load")
        .append(
            " generator, that reads each export into a per-thread buffer and answers 200 without")
        .append(
            " decoding it. Its CPU over the same window is shown next to the target's (above). Exports of")
        .append(
            " spans ended in the last second of the window leave after it (batch delay 1 s), balanced by")
        .append(" the warm-up's exports inside it.\n")
        .append(
            "- **Peers**: all set-ups with metrics record the same HTTP server duration histogram per")
        .append(
            " method, route template and status. ktrdr-telemetry runs its defaults (`both`: a native")
        .append(" histogram plus classic buckets derived at scrape time). `micrometer` is what")
        .append(
            " javalin-micrometer does (its Javalin 7 release is not published, so `MicrometerPeer` is the")
        .append(
            " equivalent few lines): a filter around Javalin's servlet times each request and records")
        .append(
            " `http.server.requests` with tags `method`, `uri` (route template), `status`, `outcome`,")
        .append(" `exception`, buckets at ktrdr-telemetry's 14 classic bounds (0.005 to 10 s) as")
        .append(" service-level objectives. `client_java` (`ClientJavaPeer`) records")
        .append(
            " `http_server_request_duration_seconds` with client_java's `Histogram`, classic buckets")
        .append(
            " only, the same bounds, from the same filter. `floor` (`OtelFloor`) makes the span ours")
        .append(
            " makes; `OtelFloorTest` checks that both spans carry the same name, kind, attributes and")
        .append(" status. Nothing scrapes during the load.\n");

    md.append("\n### Reading the figures\n\n")
        .append(
            "- Requests/s is what one core gives the app while the load generator runs on the other:")
        .append(
            " whatever CPU the telemetry spends comes out of it. CPU per request counts the service")
        .append(
            " alone; like every figure here, compare it between set-ups of one run, never across runs or")
        .append(" machines.\n")
        .append(
            "- `tracing`, `floor` and `agent` sample and export every request; their CPU holds span")
        .append(
            " creation, batching, protobuf encoding and the exporter's HTTP sends. The cost of each")
        .append(
            " export stage alone is in the export-cost section, the per-request cost in isolation (JMH)")
        .append(" in the request-cost section.\n\n");

    md.append(
        "All runs (round, requests/s, p99 ms, first scrape ms, RSS MB, requests, CPU µs per request,"
            + " allocated B per request, sink CPU µs per request, exported B per request, JIT CPU µs per"
            + " request, warm-up s, s since its load began, steal and other processes as % of the"
            + " target's core):\n\n"
            + "```\n");
    for (Run run : allRuns) {
      md.append(
          String.format(
              Locale.ROOT,
              "%-11s %d %9.0f %7.2f %6.0f %5.0f %9d %7.2f %9.0f %6.3f %7.1f %6.2f %3.0f %3.0f %5.1f"
                  + " %5.1f%n",
              run.mode(),
              run.round(),
              run.rps(),
              run.p99(),
              run.firstScrapeMs(),
              run.rssMb(),
              run.requests(),
              run.cpuMsPer1k(),
              run.allocBytesPerRequest(),
              run.sinkCpuMsPer1k(),
              run.exportBytesPerRequest(),
              run.jitCpuMsPer1k(),
              run.warmupS(),
              run.loadS(),
              100 * run.stealShare(),
              100 * run.otherShare()));
    }
    md.append("```\n\n## Machine\n\n```\n").append(machine).append("\n```\n\n");
    md.append("## Reproduce\n\n")
        .append(
            "<!-- doc-test: skip takes about 23 minutes and rewrites this page; run it by hand -->\n")
        .append("```bash\n")
        .append(
            "benchmarks/run.sh                          # about 23 minutes; rewrites this page and performance.png\n")
        .append(
            "benchmarks/run.sh --quick --against main   # a change's A/B in about 15 minutes; prints, writes no docs\n")
        .append(
            "benchmarks/profile.sh                      # about 8 minutes; rewrites \"Where the CPU goes\"\n")
        .append("```\n\n")
        .append("`ROUNDS`, `DURATION` (seconds per measured window), `CONNECTIONS`, `SETUPS` (also")
        .append(
            " `micrometer`, `tracing-10`), `WARMUP_MAX`, `TARGET_CPU` and `LOAD_CPU` size the load test")
        .append(
            " (defaults 3, 10, 16, the set-ups above, 90, 1 and 0); `DISTURBED_MAX` and `DISTURBED_RETRIES`")
        .append(" (0.05 and 1) when a window is measured again. `--quick` runs 2 rounds of `bare`,")
        .append(
            " `bare-b`, `floor`, `metrics` and `tracing` without JMH and prints its tables; with `--against")
        .append(
            " REV` every set-up also runs from REV's build in the same rounds, and the A/B table gives")
        .append(" this build over REV's per round next to the run's resolution. `KEEP_ENV=` runs")
        .append(" `tracing-10` and `tracing-1` on the ratio sampler alone. For development only,")
        .append(
            " `SKIP_JMH=1` skips the JMH benchmarks and keeps their sections of the page as they were.")
        .append(" Raw results: `benchmarks/target/results/`.\n");
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
            "Sampling (`tracing-1`, and `tracing-10` when run) has no target of its own: the rows show what tracing"
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
                "| %s | %+.2f µs (%.2f×) | %+,.0f B | %,.0f B |%n",
                mode,
                s.cpuWithoutJit() - metrics.cpuWithoutJit(),
                s.cpuWithoutJit() / metrics.cpuWithoutJit(),
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
                + "| set-up | exported per request | sink CPU µs per request | share of the"
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
                        ": under %.0f %%; it runs on the load generator's core, not the target's",
                        100 * SINK_SMALL_SHARE)
                    : String.format(
                        Locale.ROOT,
                        ": %.0f %% or more; it runs on the load generator's core, so it slows the"
                            + " load generator, not the target",
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
      "CPU per request without JIT (lower is better)"
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
