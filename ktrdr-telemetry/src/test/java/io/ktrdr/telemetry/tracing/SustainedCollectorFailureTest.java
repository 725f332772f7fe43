package io.ktrdr.telemetry.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.ktrdr.telemetry.internal.export.ExportReporter;
import io.ktrdr.telemetry.javalin.TestApp;
import io.ktrdr.telemetry.testing.Await;
import io.ktrdr.telemetry.testing.HangingCollector;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.LogCapture;
import io.ktrdr.telemetry.testing.Scrape;
import java.net.http.HttpResponse;
import java.time.Duration;
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
 * Sustained load while the collector is down or hangs: every request succeeds, the span queue stays
 * bounded, lost spans are counted, and the log warns once. (How fast requests stay is measured by
 * the JMH benchmark, not here.)
 */
class SustainedCollectorFailureTest {
  private static final int THREADS = 4;
  private static final int REQUESTS_PER_THREAD = 600;

  /** Runs the load; every request must succeed. */
  private static void load(TestApp app) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<?>> futures = new java.util.ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < REQUESTS_PER_THREAD; i++) {
                    HttpResponse<String> response = Http.get(app.url("/api/v1/data/S/1d"));
                    assertThat(response.statusCode()).isEqualTo(200);
                  }
                  return null;
                }));
      }
      for (Future<?> future : futures) {
        future.get(120, TimeUnit.SECONDS);
      }
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
        plugin -> {});
  }

  /** Spans lost, for any reason: the queue-full drops of the processor are in it. */
  private static double dropped(Scrape scrape) {
    return scrape
        .samples("ktrdr_telemetry_dropped_total", s -> "spans".equals(s.label("signal")))
        .stream()
        .mapToDouble(Scrape.Sample::value)
        .sum();
  }

  private static void check(String endpoint) throws Exception {
    try (LogCapture log = LogCapture.of(ExportReporter.class);
        TestApp app = app(endpoint)) {
      load(app);
      Scrape scrape =
          Await.value(
              "spans dropped and counted",
              Duration.ofSeconds(20),
              () -> Scrape.parse(Http.get(app.url("/metrics")).body()),
              current -> dropped(current) > 0);
      // The queue never holds more than its capacity; what does not fit is dropped and counted.
      assertThat(scrape.samples("otel_sdk_processor_span_queue_size_span"))
          .isNotEmpty()
          .allSatisfy(s -> assertThat(s.value()).isLessThanOrEqualTo(256));
      // Queue-full drops are counted as soon as the queue overflows, which on a fast machine is
      // before the first export has timed out: wait for the outage warning itself.
      Await.until(
          "the outage warning", Duration.ofSeconds(20), () -> !log.messages(Level.WARN).isEmpty());
      assertThat(log.messages(Level.WARN)).hasSize(1);
    }
  }

  @Test
  @Timeout(180)
  void aCollectorThatIsDown() throws Exception {
    check(HangingCollector.closedEndpoint());
  }

  @Test
  @Timeout(180)
  void aCollectorThatNeverAnswers() throws Exception {
    try (HangingCollector collector = HangingCollector.start()) {
      check(collector.endpoint());
    }
  }
}
