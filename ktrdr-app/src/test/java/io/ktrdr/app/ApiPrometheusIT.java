package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.api.ApiServer;
import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.telemetry.KtrdrTelemetry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The running API scraped by a real Prometheus, checked through Prometheus's HTTP API. */
class ApiPrometheusIT {

  @Test
  void prometheusScrapesTheApi() throws Exception {
    try (KtrdrTelemetry telemetry =
            KtrdrTelemetry.builder()
                .serviceName("ktrdr-api")
                .environment(Map.of())
                .shutdownHook(false)
                .build();
        ApiServer api =
            ApiServer.start(
                AppConfig.from(
                    io.ktrdr.telemetry.config.EnvConfig.of(
                        io.ktrdr.app.testing.AppProcess.withSecret(Map.of("KTRDR_PORT", "0")))),
                telemetry)) {
      HttpClient client = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + api.port();
      for (String path : new String[] {"/api/v1/health", "/api/v1/data/symbols", "/nope"}) {
        client.send(
            HttpRequest.newBuilder(URI.create(base + path)).build(),
            HttpResponse.BodyHandlers.discarding());
      }
      String config = PrometheusProcess.scrapeEverySecond("ktrdr-api", api.port());

      try (PrometheusProcess prometheus = PrometheusProcess.start(config)) {
        prometheus.awaitQuery(
            "up{job=\"ktrdr-api\"}",
            result ->
                result.size() == 1 && "1".equals(result.get(0).get("value").get(1).asString()),
            Duration.ofSeconds(30));

        JsonNode counts =
            prometheus.awaitQuery(
                "http_server_request_duration_seconds_count{job=\"ktrdr-api\"}",
                result -> result.size() >= 3,
                Duration.ofSeconds(30));
        assertThat(
                PrometheusProcess.labels(counts).stream()
                    .map(labels -> labels.getOrDefault("http_route", "(none)"))
                    .collect(Collectors.toSet()))
            .contains("/api/v1/health", "/api/v1/data/symbols", "(none)");

        assertThat(prometheus.single("scrape_duration_seconds{job=\"ktrdr-api\"}")).isLessThan(0.5);
        assertThat(
                PrometheusProcess.labels(prometheus.query("target_info{job=\"ktrdr-api\"}")).get(0))
            .containsEntry("service_name", "ktrdr-api");
      }
    }
  }
}
