package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.api.ApiServer;
import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** A request's trace id reaches Prometheus as an exemplar of the duration histogram. */
class ExemplarPrometheusIT {

  @Test
  void prometheusStoresTheRequestsTraceIdAsExemplar() throws Exception {
    try (OtlpReceiver receiver = OtlpReceiver.start();
        KtrdrTelemetry telemetry =
            KtrdrTelemetry.builder()
                .serviceName("ktrdr-api")
                .otlpEndpoint(receiver.endpoint())
                .environment(Map.of("OTEL_BSP_SCHEDULE_DELAY", "50"))
                .shutdownHook(false)
                .build();
        ApiServer api =
            ApiServer.start(
                AppConfig.from(
                    io.ktrdr.telemetry.config.EnvConfig.of(
                        io.ktrdr.app.testing.AppProcess.withSecret(Map.of("KTRDR_PORT", "0")))),
                telemetry)) {
      String config = PrometheusProcess.scrapeEverySecond("ktrdr-api", api.port());
      try (PrometheusProcess prometheus =
          PrometheusProcess.start(config, "--enable-feature=exemplar-storage")) {
        prometheus.awaitQuery(
            "up{job=\"ktrdr-api\"}", result -> result.size() == 1, Duration.ofSeconds(30));
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + api.port() + "/api/v1/data/symbols"))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        String traceId = receiver.awaitSpan("GET /api/v1/data/symbols").traceId();

        String query =
            "/api/v1/query_exemplars?query="
                + PrometheusProcess.encode(
                    "http_server_request_duration_seconds_bucket{http_route=\"/api/v1/data/symbols\"}")
                + "&start="
                + Instant.now().minusSeconds(300).getEpochSecond()
                + "&end="
                + Instant.now().plusSeconds(300).getEpochSecond();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String found = null;
        while (found == null && System.nanoTime() < deadline) {
          for (JsonNode series : prometheus.api(query)) {
            for (JsonNode exemplar : series.get("exemplars")) {
              String id = exemplar.get("labels").path("trace_id").asString();
              if (traceId.equals(id)) {
                found = id;
              }
            }
          }
          Thread.sleep(250);
        }
        assertThat(found).as("exemplar with trace_id %s in Prometheus", traceId).isEqualTo(traceId);
      }
    }
  }
}
