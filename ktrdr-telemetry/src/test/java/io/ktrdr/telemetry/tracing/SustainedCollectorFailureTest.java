package io.ktrdr.telemetry.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.ktrdr.telemetry.internal.ReportingSpanExporter;
import io.ktrdr.telemetry.javalin.TestApp;
import io.ktrdr.telemetry.testing.HangingCollector;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.LogCapture;
import io.ktrdr.telemetry.testing.Scrape;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sustained load while the collector is down or hangs: requests stay as fast as with no collector
 * at all (within 2x of that baseline's median), the span queue stays bounded, lost spans are
 * counted, and the log warns once.
 */
class SustainedCollectorFailureTest {
  private static final int THREADS = 4;
  private static final int REQUESTS_PER_THREAD = 600;

  /** Runs the load and returns the median request latency in nanoseconds. */
  private static long medianLatency(TestApp app) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<long[]>> futures = new java.util.ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        futures.add(
            pool.submit(
                () -> {
                  long[] latencies = new long[REQUESTS_PER_THREAD];
                  for (int i = 0; i < REQUESTS_PER_THREAD; i++) {
                    long start = System.nanoTime();
                    HttpResponse<String> response = Http.get(app.url("/api/v1/data/S/1d"));
                    latencies[i] = System.nanoTime() - start;
                    assertThat(response.statusCode()).isEqualTo(200);
                  }
                  return latencies;
                }));
      }
      long[] all = new long[THREADS * REQUESTS_PER_THREAD];
      int index = 0;
      for (Future<long[]> future : futures) {
        for (long latency : future.get(120, TimeUnit.SECONDS)) {
          all[index++] = latency;
        }
      }
      Arrays.sort(all);
      return all[all.length / 2];
    } finally {
      pool.shutdownNow();
    }
  }

  private static TestApp app(String endpoint) {
    Map<String, String> env = new HashMap<>();
    env.put("OTEL_BSP_SCHEDULE_DELAY", "100");
    env.put("OTEL_BSP_MAX_QUEUE_SIZE", "256");
    env.put("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64");
    env.put("OTEL_EXPORTER_OTLP_TIMEOUT", "500");
    return TestApp.start(
        builder -> {
          builder.serviceName("sustained").environment(env).shutdownTimeout(Duration.ofSeconds(2));
          if (endpoint != null) {
            builder.otlpEndpoint(endpoint);
          }
        },
        plugin -> plugin.excludedPaths = List.of("/metrics"));
  }

  private static void check(String endpoint) throws Exception {
    long baseline;
    try (TestApp app = app(null)) {
      medianLatency(app); // warm-up: JIT, connections
      baseline = medianLatency(app);
    }
    try (LogCapture log = LogCapture.of(ReportingSpanExporter.class);
        TestApp app = app(endpoint)) {
      medianLatency(app);
      long usedBefore = usedHeap();
      long failing = medianLatency(app);
      long growth = usedHeap() - usedBefore;

      assertThat(failing)
          .as("median latency with a failing collector (baseline %d ns)", baseline)
          .isLessThanOrEqualTo(2 * baseline + 1_000_000);
      assertThat(growth).as("heap growth under load").isLessThan(64L * 1024 * 1024);
      Thread.sleep(1500);
      Scrape scrape = Scrape.parse(Http.get(app.url("/metrics")).body());
      // The queue never holds more than its capacity; what does not fit is dropped and counted.
      assertThat(scrape.samples("otel_sdk_processor_span_queue_size_span"))
          .allSatisfy(s -> assertThat(s.value()).isLessThanOrEqualTo(256));
      double dropped =
          scrape.value("ktrdr_telemetry_spans_dropped_total", Map.of("reason", "export_failed"))
              + scrape
                  .samples(
                      "otel_sdk_processor_span_processed_total",
                      s -> "queue_full".equals(s.label("error_type")))
                  .stream()
                  .mapToDouble(Scrape.Sample::value)
                  .sum();
      assertThat(dropped).as("spans dropped and counted").isPositive();
      assertThat(log.messages(Level.WARN)).hasSize(1);
    }
  }

  private static long usedHeap() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  @Test
  @Timeout(180)
  void aCollectorThatIsDown() throws Exception {
    check(HangingCollector.closedEndpoint());
  }

  @Test
  @Timeout(180)
  void aCollectorThatNeverAnswers() throws Exception {
    try (HangingCollector collector = new HangingCollector()) {
      check(collector.endpoint());
    }
  }
}
