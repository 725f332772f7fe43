package io.ktrdr.telemetry.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.MetricsAuth;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.Scrape;
import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_35_0.Metrics;
import io.prometheus.metrics.model.registry.Collector;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {
  private static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final String OPENMETRICS =
      "application/openmetrics-text; version=1.0.0; charset=utf-8";
  private static final String PROTOBUF =
      "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

  @Test
  void servesTheTextFormatByDefaultWithoutRedirect() {
    try (TestApp app = TestApp.start()) {
      HttpResponse<String> response = Http.get(app.url("/metrics"));

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type")).hasValue(TEXT);
      assertThat(Scrape.parse(response.body()).types())
          .containsKeys("target_info", "jvm_memory_used_bytes", "process_cpu_seconds_total");
    }
  }

  @Test
  void negotiatesOpenMetrics() {
    try (TestApp app = TestApp.start()) {
      HttpResponse<String> response =
          Http.send(
              Http.request(app.url("/metrics"))
                  .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8")
                  .build());

      assertThat(response.headers().firstValue("Content-Type")).hasValue(OPENMETRICS);
      assertThat(response.body()).endsWith("# EOF\n");
      Scrape.parse(response.body());
    }
  }

  @Test
  void negotiatesProtobuf() throws IOException {
    try (TestApp app = TestApp.start()) {
      Http.get(app.url("/api/v1/health"));
      HttpResponse<byte[]> response =
          Http.sendBytes(
              Http.request(app.url("/metrics"))
                  .header(
                      "Accept",
                      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                          + "encoding=delimited")
                  .build());

      assertThat(response.headers().firstValue("Content-Type")).hasValue(PROTOBUF);
      List<String> names = new ArrayList<>();
      try (InputStream in = new ByteArrayInputStream(response.body())) {
        Metrics.MetricFamily family;
        while ((family = Metrics.MetricFamily.parseDelimitedFrom(in)) != null) {
          names.add(family.getName());
        }
      }
      assertThat(names).contains("http_server_request_duration_seconds", "target_info");
    }
  }

  @Test
  void compressesWhenAsked() throws IOException {
    try (TestApp app = TestApp.start()) {
      HttpResponse<byte[]> response =
          Http.sendBytes(
              Http.request(app.url("/metrics")).header("Accept-Encoding", "gzip").build());

      assertThat(response.headers().firstValue("Content-Encoding")).hasValue("gzip");
      String body;
      try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(response.body()))) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      assertThat(Scrape.parse(body).types()).containsKey("jvm_memory_used_bytes");
    }
  }

  @Test
  void filtersFamiliesByName() {
    try (TestApp app = TestApp.start()) {
      HttpResponse<String> response =
          Http.get(app.url("/metrics?name[]=target_info&name[]=process_cpu_seconds_total"));

      assertThat(Scrape.parse(response.body()).types().keySet())
          .containsExactlyInAnyOrder("target_info", "process_cpu_seconds_total");
    }
  }

  @Test
  void answersHeadWithHeadersOnly() {
    try (TestApp app = TestApp.start()) {
      HttpResponse<String> response =
          Http.send(
              Http.request(app.url("/metrics"))
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .build());

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type")).hasValue(TEXT);
      assertThat(response.body()).isEmpty();
    }
  }

  @Test
  void aFailingCollectorGivesA500AndIsCounted() {
    try (TestApp app = TestApp.start()) {
      Collector broken =
          () -> {
            throw new IllegalStateException("collector broke");
          };
      app.telemetry.prometheusRegistry().register(broken);

      HttpResponse<String> response = Http.get(app.url("/metrics"));

      assertThat(response.statusCode()).isEqualTo(500);
      assertThat(response.body()).isEqualTo("Collecting metrics failed; see the application log\n");
      app.telemetry.prometheusRegistry().unregister(broken);
      assertThat(
              Scrape.parse(Http.get(app.url("/metrics")).body())
                  .value("ktrdr_telemetry_errors_total", Map.of("component", "metrics-scrape")))
          .isEqualTo(1);
    }
  }

  @Test
  void basicAuthAcceptsTheRightCredentialsOnly() {
    try (TestApp app =
        TestApp.start(
            telemetry -> telemetry.metricsAuth(MetricsAuth.basic("prometheus", "s3cret")),
            plugin -> {})) {
      assertThat(scrapeWith(app, basic("prometheus", "s3cret")).statusCode()).isEqualTo(200);

      HttpResponse<String> wrong = scrapeWith(app, basic("prometheus", "guess"));
      assertThat(wrong.statusCode()).isEqualTo(401);
      assertThat(wrong.headers().firstValue("WWW-Authenticate"))
          .hasValue("Basic realm=\"metrics\", charset=\"UTF-8\"");
      assertThat(scrapeWith(app, null).statusCode()).isEqualTo(401);
      assertThat(scrapeWith(app, "Bearer s3cret").statusCode()).isEqualTo(401);
      assertThat(scrapeWith(app, "Basic !!!not-base64").statusCode()).isEqualTo(401);
      assertThat(scrapeWith(app, "Basic").statusCode()).isEqualTo(401);
    }
  }

  @Test
  void bearerAuthAcceptsTheRightTokenOnly() {
    try (TestApp app =
        TestApp.start(
            telemetry -> telemetry.metricsAuth(MetricsAuth.bearer("tok-123")), plugin -> {})) {
      assertThat(scrapeWith(app, "Bearer tok-123").statusCode()).isEqualTo(200);
      assertThat(scrapeWith(app, "bearer tok-123").statusCode()).isEqualTo(200);

      HttpResponse<String> wrong = scrapeWith(app, "Bearer tok-124");
      assertThat(wrong.statusCode()).isEqualTo(401);
      assertThat(wrong.headers().firstValue("WWW-Authenticate"))
          .hasValue("Bearer realm=\"metrics\"");
      assertThat(wrong.body()).isEqualTo("Unauthorized\n");
      assertThat(scrapeWith(app, null).statusCode()).isEqualTo(401);
    }
  }

  @Test
  void credentialsNeverAppearInToString() {
    assertThat(MetricsAuth.basic("prometheus", "s3cret").toString())
        .isEqualTo("MetricsAuth{basic(user=prometheus)}");
    assertThat(MetricsAuth.bearer("tok-123").toString()).isEqualTo("MetricsAuth{bearer}");
  }

  @Test
  void concurrentScrapesDuringLoadAllSucceedAndParse() throws Exception {
    try (TestApp app = TestApp.start()) {
      ExecutorService pool = Executors.newFixedThreadPool(6);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int worker = 0; worker < 3; worker++) {
          int w = worker;
          futures.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < 300; i++) {
                      assertThat(Http.get(app.url("/api/v1/data/S" + w + "/1h")).statusCode())
                          .isEqualTo(200);
                    }
                  }));
        }
        for (int scraper = 0; scraper < 3; scraper++) {
          futures.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < 40; i++) {
                      HttpResponse<String> response = Http.get(app.url("/metrics"));
                      assertThat(response.statusCode()).isEqualTo(200);
                      Scrape.parse(response.body());
                    }
                  }));
        }
        for (Future<?> future : futures) {
          future.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      Scrape last = Scrape.parse(Http.get(app.url("/metrics")).body());
      assertThat(
              last.value(
                  "http_server_request_duration_seconds_count",
                  java.util.Map.of("http_route", "/api/v1/data/{symbol}/{timeframe}")))
          .isEqualTo(900);
    }
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static HttpResponse<String> scrapeWith(TestApp app, String authorization) {
    HttpRequest.Builder request = Http.request(app.url("/metrics"));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return Http.send(request.build());
  }
}
