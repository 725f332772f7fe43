package io.ktrdr.bench;

import com.sun.net.httpserver.HttpServer;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.http.ServletTelemetryFilter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import jakarta.servlet.FilterChain;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a sampled request costs the service in CPU and allocation, export included: drives {@code
 * requests} sampled requests through the plugin's filter (as {@link FilterBenchmark}'s {@code
 * sampled} set-up), waits until the batch span processor has exported every span to an in-process
 * OTLP sink that discards, and reports the CPU time and bytes of every thread of the process except
 * the sink's, per request. CPU time, unlike wall time, hardly depends on what else the machine
 * runs, so A/B runs of exporter and processor settings ({@code OTEL_*} variables, applied) compare
 * on a busy machine. The queue is made large enough that no span is dropped (a dropped span would
 * not cost its export).
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.ktrdr.bench.SampledCost [requests [metrics]]}
 * (default 200000; a first round of the same size warms up; {@code metrics}: the same requests with
 * metrics only, for comparison).
 */
public final class SampledCost {
  private SampledCost() {}

  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    boolean tracing = args.length < 2 || !args[1].equals("metrics");
    HttpServer sink = OtlpSink.start(0);
    Map<String, String> environment = new HashMap<>();
    environment.put("OTEL_BSP_MAX_QUEUE_SIZE", Integer.toString(requests));
    System.getenv()
        .forEach(
            (key, value) -> {
              if (key.startsWith("OTEL_")) {
                environment.put(key, value);
              }
            });
    try (KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("bench")
            .tracing(tracing)
            .otlpEndpoint("http://127.0.0.1:" + sink.getAddress().getPort())
            .jvmMetrics(false)
            .shutdownHook(false)
            .environment(environment)
            .build()) {
      ServletTelemetryFilter filter =
          ServletTelemetryFilter.builder(telemetry).routeResolver(null).build();
      LightRequest request =
          new LightRequest(
              "Host",
              "127.0.0.1:8080",
              "User-Agent",
              "wrk",
              "traceparent",
              "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
      LightResponse response = new LightResponse();
      FilterChain chain =
          (req, res) -> {
            ServletTelemetryFilter.routeMatched((HttpServletRequest) req, FilterBenchmark.ROUTE);
            ((HttpServletResponse) res).setStatus(200);
          };
      run(filter, request, response, chain, requests);
      awaitExported(telemetry, tracing ? requests : 0);
      Usage before = Usage.now();
      run(filter, request, response, chain, requests);
      awaitExported(telemetry, tracing ? 2L * requests : 0);
      Usage used = Usage.now().minus(before);
      System.out.printf(
          Locale.ROOT,
          "%s requests: %d, CPU %.0f ns/request, allocated %.0f B/request, dropped %d (%s);"
              + " CPU ms by thread: %s%n",
          tracing ? "sampled" : "metrics-only",
          requests,
          used.cpuNanos() / (double) requests,
          used.bytes() / (double) requests,
          count(telemetry, "queue_full"),
          environment,
          used.cpuByThread().entrySet().stream()
              .map(e -> e.getKey() + "=" + e.getValue() / 1_000_000)
              .toList());
    } finally {
      sink.stop(0);
    }
  }

  private static void run(
      ServletTelemetryFilter filter,
      LightRequest request,
      LightResponse response,
      FilterChain chain,
      int requests)
      throws Exception {
    for (int i = 0; i < requests; i++) {
      request.reset();
      filter.doFilter(request, response, chain);
    }
  }

  /** Waits until {@code spans} spans have left the processor (exported or dropped). */
  static void awaitExported(KtrdrTelemetry telemetry, long spans) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (processed(telemetry) < spans) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("spans not exported within 60 s");
      }
      Thread.sleep(20);
    }
  }

  /** Spans that have left the batch processor so far, exported or dropped. */
  static long processed(KtrdrTelemetry telemetry) {
    return count(telemetry, null) + count(telemetry, "queue_full");
  }

  /** Spans the batch processor handed on ({@code errorType} null) or dropped for that reason. */
  private static long count(KtrdrTelemetry telemetry, String errorType) {
    long total = 0;
    for (MetricSnapshot snapshot : telemetry.prometheusRegistry().scrape()) {
      if (!snapshot
          .getMetadata()
          .getPrometheusName()
          .startsWith("otel_sdk_processor_span_processed")) {
        continue;
      }
      for (DataPointSnapshot point : snapshot.getDataPoints()) {
        String type = point.getLabels().get("error_type");
        if (errorType == null ? type == null : errorType.equals(type)) {
          total += (long) ((CounterSnapshot.CounterDataPointSnapshot) point).getValue();
        }
      }
    }
    return total;
  }

  /** CPU time and allocation of the process's threads, the OTLP sink's excluded. */
  record Usage(long cpuNanos, long bytes, Map<String, Long> cpuByThread) {
    static Usage now() {
      com.sun.management.ThreadMXBean threads =
          (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long cpu = 0;
      long bytes = 0;
      Map<String, Long> byThread = new java.util.TreeMap<>();
      for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
        if (info == null
            || info.getThreadName().startsWith("otlp-sink")
            || info.getThreadName().startsWith("HTTP-Dispatcher")) {
          continue;
        }
        long threadCpu = Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
        cpu += threadCpu;
        byThread.merge(info.getThreadName().replaceAll("[0-9]+", "N"), threadCpu, Long::sum);
        bytes += Math.max(0, threads.getThreadAllocatedBytes(info.getThreadId()));
      }
      return new Usage(cpu, bytes, byThread);
    }

    Usage minus(Usage other) {
      Map<String, Long> byThread = new java.util.TreeMap<>(cpuByThread);
      other.cpuByThread.forEach((name, nanos) -> byThread.merge(name, -nanos, Long::sum));
      byThread.values().removeIf(nanos -> nanos < 1_000_000);
      return new Usage(cpuNanos - other.cpuNanos, bytes - other.bytes, byThread);
    }
  }
}
