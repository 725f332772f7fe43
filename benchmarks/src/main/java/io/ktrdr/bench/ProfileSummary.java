package io.ktrdr.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the CPU of a load-test set-up goes, next to another's: reads the JFR recordings that
 * benchmarks/profile.sh made of each set-up over a measured window and attributes every execution
 * sample ({@code jdk.ExecutionSample}) to the first frame, from the top of its stack, that belongs
 * to a known component ({@link #COMPONENTS}: our library, the OpenTelemetry SDK's tracing, its
 * exporter, OkHttp, Jetty, Javalin...). A sample in a JDK method called from the SDK counts for the
 * SDK. Samples times the sampling period, divided by the window's requests, estimate the CPU per
 * request of each component; what the samples do not see (GC, the JIT, the kernel, native code) is
 * the rest of the JVM's measured CPU.
 *
 * <p>Usage: {@code ProfileSummary <page.md|-> <mode>=<jfr>,<requests>,<cpuMicrosPerRequest> ...}:
 * with a page, writes its {@code profile} section; with {@code -}, prints it.
 */
public final class ProfileSummary {
  /** Component, class-name prefixes; the first match from the top of the stack wins. */
  static final Map<String, List<String>> COMPONENTS = new LinkedHashMap<>();

  static {
    COMPONENTS.put("ktrdr-telemetry", List.of("io.ktrdr.telemetry."));
    COMPONENTS.put("floor filter (OtelFloor)", List.of("io.ktrdr.bench.OtelFloor"));
    COMPONENTS.put(
        "OTel exporter (OTLP marshalling, sender)", List.of("io.opentelemetry.exporter."));
    COMPONENTS.put(
        "OTel SDK traces (span, processor)",
        List.of("io.opentelemetry.sdk.trace.", "io.opentelemetry.sdk.internal."));
    COMPONENTS.put("OTel SDK metrics", List.of("io.opentelemetry.sdk.metrics."));
    COMPONENTS.put(
        "OTel API, context, semconv, instrumentation",
        List.of(
            "io.opentelemetry.api.",
            "io.opentelemetry.context.",
            "io.opentelemetry.semconv.",
            "io.opentelemetry.instrumentation.",
            "io.opentelemetry.sdk."));
    COMPONENTS.put("client_java (scrape model)", List.of("io.prometheus."));
    COMPONENTS.put("OkHttp, Okio", List.of("okhttp3.", "okio."));
    COMPONENTS.put("Javalin (and the Kotlin runtime it calls)", List.of("io.javalin.", "kotlin."));
    COMPONENTS.put("Jetty (and the JDK I/O it calls)", List.of("org.eclipse.jetty."));
    COMPONENTS.put("the app (LoadTarget)", List.of("io.ktrdr.bench."));
  }

  static final String OTHER = "JDK only (no library frame)";

  private ProfileSummary() {}

  /** One set-up's recording and its window's figures. */
  record Profile(
      String mode, Map<String, Long> samples, long total, long requests, double cpuPerRequest) {
    double microsPerRequest(String component, Duration period) {
      return samples.getOrDefault(component, 0L) * (period.toNanos() / 1000.0) / requests;
    }
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      throw new IllegalArgumentException(
          "usage: ProfileSummary <page.md|-> <mode>=<jfr>,<requests>,<cpuMicrosPerRequest> ...");
    }
    Duration period = Duration.ofMillis(10);
    List<Profile> profiles = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      String[] modeAndRest = args[i].split("=", 2);
      String[] f = modeAndRest[1].split(",");
      profiles.add(
          read(modeAndRest[0], Path.of(f[0]), Long.parseLong(f[1]), Double.parseDouble(f[2])));
    }
    String block = section(profiles, period);
    if (args[0].equals("-")) {
      System.out.println(block);
    } else {
      PageSection.write(Path.of(args[0]), "profile", block);
    }
  }

  static Profile read(String mode, Path jfr, long requests, double cpuPerRequest)
      throws IOException {
    Map<String, Long> samples = new TreeMap<>();
    long total = 0;
    for (RecordedEvent event : RecordingFile.readAllEvents(jfr)) {
      if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
        continue;
      }
      total++;
      samples.merge(component(event.getStackTrace()), 1L, Long::sum);
    }
    return new Profile(mode, samples, total, requests, cpuPerRequest);
  }

  /** The component of the first frame, from the top, that belongs to one; else {@link #OTHER}. */
  static String component(RecordedStackTrace stack) {
    if (stack == null) {
      return OTHER;
    }
    for (RecordedFrame frame : stack.getFrames()) {
      if (frame.getMethod() == null || frame.getMethod().getType() == null) {
        continue;
      }
      String component = componentOf(frame.getMethod().getType().getName());
      if (component != null) {
        return component;
      }
    }
    return OTHER;
  }

  static String componentOf(String className) {
    for (Map.Entry<String, List<String>> e : COMPONENTS.entrySet()) {
      for (String prefix : e.getValue()) {
        if (className.startsWith(prefix)) {
          return e.getKey();
        }
      }
    }
    return null;
  }

  static String section(List<Profile> profiles, Duration period) {
    StringBuilder md = new StringBuilder(PageSection.start("profile")).append('\n');
    md.append("## Where the CPU goes\n\n")
        .append(
            "`benchmarks/profile.sh`: each set-up warmed up and pinned as in the load test, then")
        .append(
            " recorded by JFR (`settings=profile`, execution samples every 10 ms per running thread)")
        .append(
            " over a measured wrk window. Each sample counts for the first frame from the top of its")
        .append(
            " stack that belongs to a component below (a JDK method called by the SDK counts for the")
        .append(" SDK); samples × 10 ms / requests estimate each component's CPU per request. What")
        .append(
            " execution samples do not see (GC, the JIT, the kernel's network stack, native code) is")
        .append(" the rest of the JVM's CPU per request, measured as in the load test.\n\n");
    md.append("| component (µs per request) |");
    for (Profile p : profiles) {
      md.append(' ').append(p.mode()).append(" |");
    }
    if (profiles.size() == 2) {
      md.append(" difference |");
    }
    md.append("\n|---|");
    md.append("---|".repeat(profiles.size() + (profiles.size() == 2 ? 1 : 0))).append('\n');
    List<String> rows = new ArrayList<>(COMPONENTS.keySet());
    rows.add(OTHER);
    for (String component : rows) {
      if (profiles.stream().allMatch(p -> p.samples().getOrDefault(component, 0L) == 0)) {
        continue;
      }
      md.append("| ").append(component).append(" |");
      for (Profile p : profiles) {
        md.append(String.format(Locale.ROOT, " %.2f |", p.microsPerRequest(component, period)));
      }
      if (profiles.size() == 2) {
        md.append(
            String.format(
                Locale.ROOT,
                " %+.2f |",
                profiles.get(1).microsPerRequest(component, period)
                    - profiles.get(0).microsPerRequest(component, period)));
      }
      md.append('\n');
    }
    md.append("| not in samples (GC, JIT, kernel, native) |");
    double[] rest = new double[profiles.size()];
    for (int i = 0; i < profiles.size(); i++) {
      Profile p = profiles.get(i);
      rest[i] = p.cpuPerRequest() - p.total() * (period.toNanos() / 1000.0) / p.requests();
      md.append(String.format(Locale.ROOT, " %.2f |", rest[i]));
    }
    if (profiles.size() == 2) {
      md.append(String.format(Locale.ROOT, " %+.2f |", rest[1] - rest[0]));
    }
    md.append("\n| **CPU per request, measured** |");
    for (Profile p : profiles) {
      md.append(String.format(Locale.ROOT, " **%.2f** |", p.cpuPerRequest()));
    }
    if (profiles.size() == 2) {
      md.append(
          String.format(
              Locale.ROOT,
              " **%+.2f** |",
              profiles.get(1).cpuPerRequest() - profiles.get(0).cpuPerRequest()));
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
}
