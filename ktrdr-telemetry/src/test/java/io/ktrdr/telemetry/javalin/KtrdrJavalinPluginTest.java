package io.ktrdr.telemetry.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.testing.Await;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.Scrape;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KtrdrJavalinPluginTest {
  private static final String DURATION_COUNT = "http_server_request_duration_seconds_count";

  private TestApp app;

  @BeforeEach
  void start() {
    app = TestApp.start();
  }

  @AfterEach
  void stop() {
    app.close();
  }

  /**
   * A scrape once every request has been recorded: the client can read a response before the server
   * has finished recording it, so wait until no request is active (scrapes are not counted).
   */
  private Scrape scrape() {
    return scrape(app);
  }

  static Scrape scrape(TestApp app) {
    return Await.value(
        "every request recorded",
        Duration.ofSeconds(10),
        () -> {
          HttpResponse<String> response = Http.get(app.url("/metrics"));
          assertThat(response.statusCode()).isEqualTo(200);
          return Scrape.parse(response.body());
        },
        scrape ->
            scrape.samples("http_server_active_requests").stream().allMatch(s -> s.value() == 0));
  }

  @Test
  void countsEveryRequestToATemplatedRouteUnderItsTemplate() {
    int n = 37;
    for (int i = 0; i < n; i++) {
      HttpResponse<String> response = Http.get(app.url("/api/v1/data/AAPL" + i + "/1d?start=" + i));
      assertThat(response.statusCode()).isEqualTo(200);
    }

    Scrape scrape = scrape();

    assertThat(
            scrape.value(
                DURATION_COUNT,
                Map.of(
                    "http_route", "/api/v1/data/{symbol}/{timeframe}",
                    "http_request_method", "GET",
                    "http_response_status_code", "200",
                    "url_scheme", "http")))
        .isEqualTo(n);
    assertThat(scrape.types()).containsEntry("http_server_request_duration_seconds", "histogram");
    // No label value anywhere carries a raw path or a query string.
    assertThat(scrape.samples())
        .flatExtracting(s -> List.copyOf(s.labels().values()))
        .noneMatch(v -> v.contains("AAPL") || v.contains("start="));
  }

  @Test
  void usesTheConventionsBucketsInSeconds() {
    Http.get(app.url("/api/v1/health"));

    Set<String> bounds =
        scrape()
            .samples(
                "http_server_request_duration_seconds_bucket",
                s -> "/api/v1/health".equals(s.label("http_route")))
            .stream()
            .map(s -> s.label("le"))
            .collect(Collectors.toSet());

    assertThat(bounds)
        .containsExactlyInAnyOrder(
            "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5",
            "5.0", "7.5", "10.0", "+Inf");
  }

  @Test
  void tenThousandUnknownPathsAddOneSeriesPerMethodAndStatus() {
    Http.get(app.url("/api/v1/health"));
    int before = scrape().samples(DURATION_COUNT).size();

    for (int i = 0; i < 10_000; i++) {
      assertThat(Http.get(app.url("/no/such/path/" + i)).statusCode()).isEqualTo(404);
    }
    Scrape scrape = scrape();

    List<Scrape.Sample> unmatched =
        scrape.samples(DURATION_COUNT, s -> s.label("http_route") == null);
    assertThat(unmatched).hasSize(1);
    assertThat(unmatched.get(0).labels())
        .containsEntry("http_request_method", "GET")
        .containsEntry("http_response_status_code", "404");
    assertThat(unmatched.get(0).value()).isEqualTo(10_000);
    assertThat(scrape.samples(DURATION_COUNT)).hasSize(before + 1);
  }

  @Test
  void serverErrorsCarryErrorTypeAndClientErrorsDoNot() {
    assertThat(Http.get(app.url("/boom")).statusCode()).isEqualTo(500);
    assertThat(Http.get(app.url("/unavailable")).statusCode()).isEqualTo(503);
    assertThat(Http.get(app.url("/bad")).statusCode()).isEqualTo(400);

    Scrape scrape = scrape();

    assertThat(
            scrape
                .samples(DURATION_COUNT, s -> "/boom".equals(s.label("http_route")))
                .get(0)
                .labels())
        .containsEntry("http_response_status_code", "500")
        .containsEntry("error_type", "500");
    assertThat(
            scrape
                .samples(DURATION_COUNT, s -> "/unavailable".equals(s.label("http_route")))
                .get(0)
                .labels())
        .containsEntry("error_type", "503");
    assertThat(
            scrape
                .samples(DURATION_COUNT, s -> "/bad".equals(s.label("http_route")))
                .get(0)
                .labels())
        .containsEntry("http_response_status_code", "400")
        .doesNotContainKey("error_type");
  }

  @Test
  void unknownMethodsAreReportedAsOther() {
    HttpResponse<String> response =
        Http.send(
            Http.request(app.url("/api/v1/health"))
                .method("BREW", HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(response.statusCode()).isGreaterThanOrEqualTo(400);

    assertThat(
            scrape().samples(DURATION_COUNT, s -> "_OTHER".equals(s.label("http_request_method"))))
        .hasSize(1);
  }

  @Test
  void asyncHandlersAreRecordedWhenTheyComplete() {
    HttpResponse<String> response = Http.get(app.url("/async"));
    assertThat(response.body()).isEqualTo("later");

    assertThat(scrape().value(DURATION_COUNT, Map.of("http_route", "/async"))).isEqualTo(1);
  }

  @Test
  void theMetricsPathIsNotRecordedByDefault() {
    scrape();
    scrape();

    assertThat(scrape().samples(DURATION_COUNT, s -> "/metrics".equals(s.label("http_route"))))
        .isEmpty();
  }

  @Test
  void activeRequestsReturnToZero() {
    Http.get(app.url("/api/v1/health"));
    Http.send(
        Http.request(app.url("/api/v1/items")).POST(HttpRequest.BodyPublishers.noBody()).build());

    Scrape scrape = scrape();

    assertThat(scrape.samples("http_server_active_requests"))
        .isNotEmpty()
        .allSatisfy(s -> assertThat(s.value()).isZero());
    assertThat(scrape.value(DURATION_COUNT, Map.of("http_request_method", "POST"))).isEqualTo(1);
  }
}
