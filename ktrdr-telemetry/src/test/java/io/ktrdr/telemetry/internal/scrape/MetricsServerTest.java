package io.ktrdr.telemetry.internal.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.MetricsEndpoints;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.Scrape;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsServerTest {

  private static KtrdrTelemetry telemetry(Map<String, String> env) {
    return KtrdrTelemetry.builder()
        .serviceName("batch-job")
        .environment(env)
        .shutdownHook(false)
        .build();
  }

  @Test
  void servesMetricsOnItsOwnPortBoundToLocalhost() {
    try (KtrdrTelemetry telemetry = telemetry(Map.of("KTRDR_METRICS_PORT", "0"))) {
      String base = "http://127.0.0.1:" + telemetry.metricsServerPort().orElseThrow();

      HttpResponse<String> response = Http.get(base + "/metrics");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type"))
          .hasValue("text/plain; version=0.0.4; charset=utf-8");
      assertThat(Scrape.parse(response.body()).samples("target_info").get(0).labels())
          .containsEntry("service_name", "batch-job");

      HttpResponse<String> head =
          Http.send(
              Http.request(base + "/metrics")
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .build());
      assertThat(head.statusCode()).isEqualTo(200);
      assertThat(head.body()).isEmpty();

      HttpResponse<String> other = Http.get(base + "/metricsx");
      assertThat(other.statusCode()).isEqualTo(404);
      assertThat(other.body()).isEqualTo("Not Found: metrics are served at /metrics\n");
    }
  }

  @Test
  void protectsTheEndpointWhenConfigured() {
    try (KtrdrTelemetry telemetry =
        telemetry(Map.of("KTRDR_METRICS_PORT", "0", "KTRDR_METRICS_BEARER_TOKEN", "abc"))) {
      String url = "http://127.0.0.1:" + telemetry.metricsServerPort().orElseThrow() + "/metrics";

      assertThat(Http.get(url).statusCode()).isEqualTo(401);
      assertThat(
              Http.send(Http.request(url).header("Authorization", "Bearer abc").build())
                  .statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void noServerUnlessAPortIsConfigured() {
    try (KtrdrTelemetry telemetry = telemetry(Map.of())) {
      assertThat(telemetry.metricsServerPort()).isEmpty();
    }
  }

  @Test
  void aPortInUseFailsWithTheAddress() {
    try (KtrdrTelemetry telemetry = telemetry(Map.of("KTRDR_METRICS_PORT", "0"))) {
      int taken = telemetry.metricsServerPort().orElseThrow();

      assertThatThrownBy(
              () ->
                  MetricsServer.start(
                      MetricsEndpoints.of(telemetry.metricsHandler()), "127.0.0.1", taken, 1))
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageStartingWith(
              "java.io.IOException: Cannot start the metrics server on 127.0.0.1:" + taken + ": ");
    }
  }
}
