package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.Cluster;
import io.ktrdr.app.testing.PrometheusProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A real Prometheus scraping every second while the API serves a sustained load. */
class ScrapeUnderLoadIT {

  @Test
  void everyScrapeSucceedsAndParsesUnderLoad() throws Exception {
    try (Cluster cluster = new Cluster(Map.of(), Map.of())) {
      String config = PrometheusProcess.scrapeEverySecond("ktrdr-api", cluster.api.port());
      try (PrometheusProcess prometheus = PrometheusProcess.start(config)) {
        prometheus.awaitQuery(
            "up{job=\"ktrdr-api\"} == 1", r -> r.size() == 1, Duration.ofSeconds(30));
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong requests = new AtomicLong();
        ExecutorService load = Executors.newFixedThreadPool(3);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
          workers.add(
              load.submit(
                  () -> {
                    while (running.get()) {
                      int status =
                          cluster
                              .api("GET", "/api/v1/data/SPY/1d?start=2024-06-01", null)
                              .statusCode();
                      assertThat(status).isEqualTo(200);
                      requests.incrementAndGet();
                    }
                    return null;
                  }));
        }
        Thread.sleep(15_000);
        running.set(false);
        for (Future<?> worker : workers) {
          worker.get(30, TimeUnit.SECONDS);
        }
        load.shutdownNow();

        // 15 s at one scrape a second: every scrape up (a failed or unparsable scrape gives up=0).
        assertThat(prometheus.single("count_over_time(up{job=\"ktrdr-api\"}[14s])"))
            .isGreaterThanOrEqualTo(12);
        assertThat(prometheus.single("min_over_time(up{job=\"ktrdr-api\"}[14s])")).isEqualTo(1.0);
        assertThat(
                prometheus.single("max_over_time(scrape_duration_seconds{job=\"ktrdr-api\"}[14s])"))
            .isLessThan(0.5);
        assertThat(
                prometheus.single("min_over_time(scrape_samples_scraped{job=\"ktrdr-api\"}[14s])"))
            .isGreaterThan(100);
        double served =
            prometheus.single(
                "sum(http_server_request_duration_seconds_count{job=\"ktrdr-api\", http_route=\"/api/v1/data/{symbol}/{timeframe}\"})");
        assertThat(served).isGreaterThan(0).isLessThanOrEqualTo(requests.get());
        assertThat(requests.get()).isGreaterThan(500);
      }
    }
  }
}
