package io.ktrdr.telemetry.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 19: 400 concurrent gzip OpenMetrics scrapes starved the service (its health route took
 * seconds). Now at most a few scrapes work at once and the rest are refused at once, so the route
 * keeps its latency.
 */
class ScrapeFloodTest {
  private static final int SCRAPES = 400;
  private static final int REQUESTS = 40;

  @Test
  @Timeout(60)
  void aFloodOfScrapesDoesNotStarveTheRoutes() throws Exception {
    try (TestApp app = TestApp.start()) {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpClient scraper = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      for (int i = 0; i < 100; i++) {
        health(client, app); // warm up
      }
      long[] before = new long[REQUESTS];
      for (int i = 0; i < REQUESTS; i++) {
        before[i] = health(client, app);
      }
      long start = System.nanoTime();
      List<CompletableFuture<Integer>> scrapes = new ArrayList<>();
      for (int i = 0; i < SCRAPES; i++) {
        scrapes.add(
            scraper
                .sendAsync(
                    HttpRequest.newBuilder(URI.create(app.url("/metrics")))
                        .header(
                            "Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8")
                        .header("Accept-Encoding", "gzip")
                        .timeout(Duration.ofSeconds(20))
                        .build(),
                    HttpResponse.BodyHandlers.ofByteArray())
                .handle((response, failure) -> response == null ? -1 : response.statusCode()));
      }
      long[] during = new long[REQUESTS];
      for (int i = 0; i < REQUESTS; i++) {
        during[i] = health(client, app);
      }
      List<Integer> statuses = new ArrayList<>();
      for (CompletableFuture<Integer> scrape : scrapes) {
        statuses.add(scrape.get(30, TimeUnit.SECONDS));
      }
      long took = System.nanoTime() - start;
      Arrays.sort(before);
      Arrays.sort(during);
      System.out.printf(
          "ScrapeFloodTest: health max %d ms before, %d ms during %d scrapes: %s in %d ms%n",
          TimeUnit.NANOSECONDS.toMillis(before[REQUESTS - 1]),
          TimeUnit.NANOSECONDS.toMillis(during[REQUESTS - 1]),
          SCRAPES,
          statuses.stream().collect(Collectors.groupingBy(s -> s, Collectors.counting())),
          TimeUnit.NANOSECONDS.toMillis(took));

      assertThat(during[REQUESTS - 1])
          .as("the route's slowest answer during the flood against its slowest before")
          .isLessThan(10 * before[REQUESTS - 1] + TimeUnit.SECONDS.toNanos(1));
      assertThat(statuses)
          .hasSize(SCRAPES)
          .allSatisfy(s -> assertThat(s).isIn(200, 503))
          .contains(200);
    }
  }

  private static long health(HttpClient client, TestApp app) throws Exception {
    long start = System.nanoTime();
    HttpResponse<Void> response =
        client.send(
            HttpRequest.newBuilder(URI.create(app.url("/api/v1/health")))
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.discarding());
    assertThat(response.statusCode()).isEqualTo(200);
    return System.nanoTime() - start;
  }
}
