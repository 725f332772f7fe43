package io.ktrdr.app;

import static io.ktrdr.app.testing.Cluster.asWorker;
import static io.ktrdr.app.testing.Cluster.json;
import static io.ktrdr.app.testing.Cluster.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.Cluster;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The control plane's rules, in one JVM over real sockets: tokens, limits, rotation, heartbeats.
 */
class ControlPlaneTest {
  private static final String TOKEN = "user-token-0123456789abcdef";
  private static final String NEXT_SECRET = "next-cluster-secret-0123456789abcdef-xyz";

  @Test
  void theOptionalApiTokenGuardsUserRoutesButNotHealthOrDocs() {
    try (Cluster cluster = new Cluster(Map.of(), Map.of("KTRDR_API_TOKEN", TOKEN))) {
      cluster.startWorker("token-w1", "backtesting", Duration.ZERO);
      String bearer = "Bearer " + TOKEN;

      assertThat(cluster.api("GET", "/api/v1/operations", null).statusCode()).isEqualTo(401);
      assertThat(
              send("GET", cluster.apiUrl("/api/v1/operations"), null, "Authorization", "Bearer x")
                  .statusCode())
          .isEqualTo(401);
      assertThat(cluster.api("GET", "/api/v1/health", null).statusCode()).isEqualTo(200);
      assertThat(cluster.api("GET", "/api/v1/docs", null).statusCode()).isEqualTo(200);
      assertThat(cluster.api("GET", "/api/v1/openapi.json", null).statusCode()).isEqualTo(200);

      // The worker loads its bars with the cluster secret: the operation completes.
      HttpResponse<String> started =
          send(
              "POST",
              cluster.apiUrl("/api/v1/backtests/start"),
              "{\"symbol\":\"AAPL\"}",
              "Authorization",
              bearer);
      assertThat(started.statusCode()).isEqualTo(202);
      String id = json(started).get("operation_id").asString();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      JsonNode operation = null;
      while (System.nanoTime() < deadline) {
        operation =
            json(
                send(
                    "GET",
                    cluster.apiUrl("/api/v1/operations/" + id),
                    null,
                    "Authorization",
                    bearer));
        if (operation.get("status").asString().equals("completed")) {
          break;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
      assertThat(operation.get("status").asString()).isEqualTo("completed");
    }
  }

  @Test
  void eachEndpointHasItsOwnBodyLimitAndResultsAreCapped() {
    try (Cluster cluster = new Cluster(Map.of(), Map.of())) {
      cluster.startWorker("limits-w1", "backtesting", Duration.ofMillis(20));
      String padded = "{\"symbol\":\"AAPL\",\"timeframe\":\"" + " ".repeat(5000) + "1d\"}";
      HttpResponse<String> tooBig = cluster.api("POST", "/api/v1/backtests/start", padded);
      assertThat(tooBig.statusCode()).isEqualTo(413);
      assertThat(json(tooBig).get("error").asString()).isEqualTo("payload_too_large");

      String id =
          json(cluster.api(
                  "POST",
                  "/api/v1/backtests/start",
                  "{\"symbol\":\"BTCUSD\",\"timeframe\":\"1h\"}"))
              .get("operation_id")
              .asString();
      String hugeResult =
          "{\"status\":\"completed\",\"result\":{\"blob\":\"" + "x".repeat(70_000) + "\"}}";
      HttpResponse<String> capped =
          send(
              "POST",
              cluster.apiUrl("/api/v1/operations/" + id + "/progress"),
              hugeResult,
              asWorker("limits-w1"));
      assertThat(capped.statusCode()).isEqualTo(413);
      assertThat(
              json(cluster.api("GET", "/api/v1/operations/" + id, null)).get("status").asString())
          .isIn("pending", "running");

      HttpResponse<String> unknownField =
          send(
              "POST",
              cluster.apiUrl("/api/v1/operations/" + id + "/progress"),
              "{\"status\":\"running\",\"progres\":0.5}",
              asWorker("limits-w1"));
      assertThat(unknownField.statusCode()).isEqualTo(400);
      assertThat(json(unknownField).get("message").asString()).isEqualTo("Unknown field 'progres'");
      cluster.api("DELETE", "/api/v1/operations/" + id, null);
    }
  }

  @Test
  void duringRotationBothSecretsAreAcceptedAndOnlyThey() {
    try (Cluster cluster =
        new Cluster(Map.of(), Map.of("KTRDR_CLUSTER_SECRET_ACCEPTED", NEXT_SECRET))) {
      String body =
          "{\"worker_id\":\"rot-1\",\"worker_type\":\"training\",\"instance_id\":\"i-1\","
              + "\"url\":\"http://127.0.0.1:9\"}";
      String url = cluster.apiUrl("/api/v1/workers/register");
      assertThat(send("POST", url, body, asWorker("rot-1")).statusCode()).isEqualTo(200);
      assertThat(send("POST", url, body, "Authorization", "Bearer " + NEXT_SECRET).statusCode())
          .isEqualTo(200);
      assertThat(
              send("POST", url, body, "Authorization", "Bearer " + NEXT_SECRET + "x").statusCode())
          .isEqualTo(401);
    }
  }

  @Test
  void heartbeatsTellAForgottenWorkerToRegisterAndComeOnlyFromThatWorker() {
    try (Cluster cluster = new Cluster(Map.of(), Map.of())) {
      String url = cluster.apiUrl("/api/v1/workers/ghost-1/heartbeat");
      String body = "{\"instance_id\":\"i-1\"}";

      assertThat(send("POST", url, body).statusCode()).isEqualTo(401);
      assertThat(send("POST", url, body, asWorker("someone-else")).statusCode()).isEqualTo(403);
      HttpResponse<String> unknown = send("POST", url, body, asWorker("ghost-1"));
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(json(unknown).get("message").asString())
          .isEqualTo("Worker ghost-1 is not registered; register again");
    }
  }

  @Test
  void configuredOriginsMayChangeStateOthersMayNot() {
    try (Cluster cluster =
        new Cluster(Map.of(), Map.of("KTRDR_ALLOWED_ORIGINS", "http://app.example:3000"))) {
      String url = cluster.apiUrl("/api/v1/operations/op_backtest_0123456789ab");
      assertThat(send("DELETE", url, null, "Origin", "http://app.example:3000").statusCode())
          .isEqualTo(404);
      assertThat(send("DELETE", url, null, "Origin", "http://evil.example").statusCode())
          .isEqualTo(403);
      // Same origin (the Swagger page) is allowed.
      assertThat(
              send("DELETE", url, null, "Origin", "http://127.0.0.1:" + cluster.api.port())
                  .statusCode())
          .isEqualTo(404);
    }
  }
}
