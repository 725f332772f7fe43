package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.fixtures.BlockingGauge;
import io.ktrdr.telemetry.testing.Await;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.Scrape;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The builder's scrape budget and bound on scrapes in progress, through a real server. */
class ScrapeBudgetTest {

  @Test
  void aScrapeWaitsItsBudgetAndOneTooManyIsRefusedAtOnce() throws Exception {
    try (KtrdrTelemetry telemetry =
            KtrdrTelemetry.builder()
                .serviceName("budget")
                .environment(Map.of("KTRDR_METRICS_PORT", "0"))
                .shutdownHook(false)
                .metricsScrapeTimeout(Duration.ofSeconds(5))
                .metricsMaxConcurrentScrapes(1)
                .build();
        BlockingGauge gauge = BlockingGauge.register(telemetry.meter("test"), "slow", 1)) {
      String url = "http://127.0.0.1:" + telemetry.metricsServerPort().orElseThrow() + "/metrics";
      // A request that does not collect: what answering costs on this machine now.
      long before = System.nanoTime();
      assertThat(Http.get(url.replace("/metrics", "/other")).statusCode()).isEqualTo(404);
      long baseline = System.nanoTime() - before;
      gauge.block();
      long start = System.nanoTime();
      CompletableFuture<HttpResponse<String>> waiting =
          Http.client().sendAsync(Http.request(url).build(), HttpResponse.BodyHandlers.ofString());
      gauge.awaitBlocked(Duration.ofSeconds(10));

      long second = System.nanoTime();
      HttpResponse<String> busy = Http.get(url);
      assertThat(busy.statusCode()).isEqualTo(503);
      assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(busy.body()).isEqualTo("Too many scrapes in progress; retry later\n");
      assertThat(System.nanoTime() - second)
          .as(
              "refused at once: well within the 5 s budget, against a %d ms baseline",
              baseline / 1_000_000)
          .isLessThan(
              Math.min(10 * baseline + TimeUnit.SECONDS.toNanos(1), TimeUnit.SECONDS.toNanos(4)));
      HttpResponse<String> busyHead =
          Http.send(Http.request(url).method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
      assertThat(busyHead.statusCode()).isEqualTo(503);
      assertThat(busyHead.body()).isEmpty();

      HttpResponse<String> timedOut = waiting.get(10, TimeUnit.SECONDS);
      assertThat(timedOut.statusCode()).isEqualTo(503);
      assertThat(timedOut.headers().firstValue("Retry-After")).hasValue("5");
      assertThat(timedOut.body())
          .isEqualTo("Collecting metrics took longer than this scrape's budget; retry later\n");
      assertThat(System.nanoTime() - start)
          .isBetween(TimeUnit.SECONDS.toNanos(5), TimeUnit.SECONDS.toNanos(15));

      gauge.release();
      Await.until(
          "a scrape answered again",
          Duration.ofSeconds(10),
          () -> Http.get(url).statusCode() == 200);
      // That one may have shared the collection stuck before the refusals; this one is new.
      Scrape after = Scrape.parse(Http.get(url).body());
      assertThat(after.value("ktrdr_telemetry_scrapes_rejected_total", Map.of("reason", "busy")))
          .as("the two refused while busy (a slow poll may refuse more)")
          .isGreaterThanOrEqualTo(2);
      assertThat(after.value("ktrdr_telemetry_scrapes_rejected_total", Map.of("reason", "timeout")))
          .isGreaterThanOrEqualTo(1);
    }
  }
}
