package io.ktrdr.app;

import static io.ktrdr.app.testing.Cluster.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.Cluster;
import io.ktrdr.telemetry.testing.Scrape;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Cancellation, a busy worker, and a worker lost in the middle of an operation. */
class WorkerFaultsTest {
  private static final String SLOW_BACKTEST = "{\"symbol\":\"BTCUSD\",\"timeframe\":\"1h\"}";

  @Test
  void aRunningOperationCanBeCancelled() {
    try (Cluster cluster = new Cluster(Map.of(), Map.of())) {
      Cluster.WorkerHandle worker =
          cluster.startWorker("slow-1", "backtesting", Duration.ofMillis(20));
      String id =
          json(cluster.api("POST", "/api/v1/backtests/start", SLOW_BACKTEST))
              .get("operation_id")
              .asString();
      cluster.awaitOperation(id, op -> op.get("progress").asDouble() > 0.1, Duration.ofSeconds(20));

      HttpResponse<String> cancel = cluster.api("DELETE", "/api/v1/operations/" + id, null);
      assertThat(cancel.statusCode()).isEqualTo(202);
      JsonNode done = cluster.awaitFinal(id);

      assertThat(done.get("status").asString()).isEqualTo("cancelled");
      HttpResponse<String> again = cluster.api("DELETE", "/api/v1/operations/" + id, null);
      assertThat(again.statusCode()).isEqualTo(409);
      assertThat(json(again).get("message").asString())
          .isEqualTo("Operation " + id + " is already cancelled");
      Scrape metrics = Scrape.parse(Cluster.send("GET", worker.url("/metrics"), null).body());
      assertThat(
              metrics.value(
                  "ktrdr_operations_total",
                  Map.of("operation_type", "backtest", "status", "cancelled")))
          .isEqualTo(1);
      assertThat(metrics.value("ktrdr_operations_active", Map.of("operation_type", "backtest")))
          .isZero();
    }
  }

  @Test
  void aBusyWorkerIsSkippedAndWithNoFreeWorkerTheStartIs503() {
    try (Cluster cluster = new Cluster(Map.of(), Map.of())) {
      cluster.startWorker("busy-a", "backtesting", Duration.ofMillis(20));
      cluster.startWorker("busy-b", "backtesting", Duration.ofMillis(20));

      JsonNode first = json(cluster.api("POST", "/api/v1/backtests/start", SLOW_BACKTEST));
      JsonNode second = json(cluster.api("POST", "/api/v1/backtests/start", SLOW_BACKTEST));
      HttpResponse<String> third = cluster.api("POST", "/api/v1/backtests/start", SLOW_BACKTEST);

      assertThat(first.get("worker_id").asString())
          .isNotEqualTo(second.get("worker_id").asString());
      assertThat(third.statusCode()).isEqualTo(503);
      assertThat(json(third).get("message").asString())
          .isEqualTo(
              "No backtesting worker is available (2 registered, 2 healthy, 2 busy, 0 unreachable);"
                  + " try again later");
      assertThat(json(cluster.api("GET", "/api/v1/operations", null)).get("operations").size())
          .isEqualTo(2);
    }
  }

  @Test
  void aWorkerLostMidOperationFailsItWhileTheApiKeepsServing() {
    try (Cluster cluster =
        new Cluster(
            Map.of(),
            Map.of(
                "KTRDR_WORKER_HEALTH_INTERVAL_MS", "100",
                "KTRDR_WORKER_FAILURES_UNAVAILABLE", "3",
                "KTRDR_WORKER_FAILURES_FORGET", "1000"))) {
      Cluster.WorkerHandle worker =
          cluster.startWorker("doomed-1", "backtesting", Duration.ofMillis(20));
      String id =
          json(cluster.api("POST", "/api/v1/backtests/start", SLOW_BACKTEST))
              .get("operation_id")
              .asString();
      cluster.awaitOperation(id, op -> op.get("progress").asDouble() > 0.1, Duration.ofSeconds(20));

      worker.server().close();
      JsonNode done = cluster.awaitFinal(id);

      assertThat(done.get("status").asString()).isEqualTo("failed");
      assertThat(done.get("error").asString())
          .isEqualTo(
              "Worker doomed-1 stopped responding (3 health checks failed); the operation was lost");
      assertThat(cluster.api("GET", "/api/v1/health", null).statusCode()).isEqualTo(200);
      assertThat(
              json(cluster.api("GET", "/api/v1/workers", null))
                  .get("workers")
                  .get(0)
                  .get("status")
                  .asString())
          .isEqualTo("unavailable");
      Scrape api = Scrape.parse(cluster.api("GET", "/metrics", null).body());
      assertThat(api.value("ktrdr_operations_lost_total", Map.of("operation_type", "backtest")))
          .isEqualTo(1);
      assertThat(api.value("ktrdr_workers_available", Map.of("worker_type", "backtesting")))
          .isZero();
      assertThat(api.value("ktrdr_workers_registered", Map.of("worker_type", "backtesting")))
          .isEqualTo(1);
      // A late report from the lost worker cannot revive the operation.
      HttpResponse<String> late =
          Cluster.send(
              "POST",
              cluster.apiUrl("/api/v1/operations/" + id + "/progress"),
              "{\"status\":\"completed\",\"progress\":1}",
              Cluster.asWorker("doomed-1"));
      assertThat(late.statusCode()).isEqualTo(409);
    }
  }
}
