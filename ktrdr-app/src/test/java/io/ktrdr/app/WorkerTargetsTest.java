package io.ktrdr.app;

import static io.ktrdr.app.testing.Cluster.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.Cluster;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code GET /api/v1/workers/targets}: the registry in Prometheus' http_sd_configs format. */
class WorkerTargetsTest {

  @Test
  void listsEveryRegisteredWorkerAsAScrapeTargetWithItsTypeAndId() {
    try (Cluster cluster = new Cluster(Map.of(), Map.of())) {
      assertThat(json(cluster.api("GET", "/api/v1/workers/targets", null))).isEmpty();

      Cluster.WorkerHandle worker =
          cluster.startWorker("backtest-sd-1", "backtesting", Duration.ZERO);
      // A worker over TLS (registered with the cluster secret): the scheme follows its URL.
      assertThat(
              Cluster.send(
                      "POST",
                      cluster.apiUrl("/api/v1/workers/register"),
                      "{\"worker_id\":\"training-sd-1\",\"worker_type\":\"training\","
                          + "\"instance_id\":\"i-1\",\"url\":\"https://127.0.0.1:8443\"}",
                      Cluster.asWorker("training-sd-1"))
                  .statusCode())
          .isEqualTo(200);

      HttpResponse<String> response = cluster.api("GET", "/api/v1/workers/targets", null);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
      JsonNode groups = json(response);
      assertThat(groups).hasSize(2);
      JsonNode backtest = groups.get(0);
      assertThat(backtest.get("targets").get(0).asString())
          .isEqualTo("127.0.0.1:" + worker.server().port());
      assertThat(backtest.get("labels").toString())
          .isEqualTo(
              "{\"worker_type\":\"backtesting\",\"worker_id\":\"backtest-sd-1\","
                  + "\"__scheme__\":\"http\",\"__metrics_path__\":\"/metrics\"}");
      JsonNode training = groups.get(1);
      assertThat(training.get("targets").get(0).asString()).isEqualTo("127.0.0.1:8443");
      assertThat(training.at("/labels/__scheme__").asString()).isEqualTo("https");
      assertThat(training.at("/labels/__metrics_path__").asString()).isEqualTo("/metrics");
    }
  }
}
