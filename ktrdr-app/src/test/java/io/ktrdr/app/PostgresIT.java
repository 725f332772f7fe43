package io.ktrdr.app;

import static io.ktrdr.app.testing.Cluster.json;
import static io.ktrdr.app.testing.Cluster.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.AppProcess;
import io.ktrdr.app.testing.PostgresProcess;
import io.ktrdr.app.testing.PrometheusProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The same repository code against a real PostgreSQL server (Debian's package, started by the
 * test): bars seeded, an operation stored, and still there, completed, after an API restart.
 */
class PostgresIT {

  @Test
  void operationsLiveInPostgresAndSurviveAnApiRestart() throws Exception {
    Path directory = Files.createTempDirectory("ktrdr-pg-it-");
    try (PostgresProcess postgres = PostgresProcess.start()) {
      int apiPort = PrometheusProcess.freePort();
      Map<String, String> apiEnv = new HashMap<>();
      apiEnv.put("KTRDR_PORT", Integer.toString(apiPort));
      apiEnv.put("KTRDR_DATABASE_URL", postgres.jdbcUrl());
      apiEnv.put("KTRDR_DATABASE_USER", PostgresProcess.USER);
      Path passwordFile = directory.resolve("db-password");
      Files.writeString(passwordFile, PostgresProcess.PASSWORD + "\n");
      apiEnv.put("KTRDR_DATABASE_PASSWORD_FILE", passwordFile.toString());
      String base = "http://127.0.0.1:" + apiPort;
      Map<String, String> workerEnv = new HashMap<>();
      workerEnv.put("KTRDR_ROLE", "worker");
      workerEnv.put("KTRDR_PORT", Integer.toString(PrometheusProcess.freePort()));
      workerEnv.put("KTRDR_API_URL", base);
      workerEnv.put("KTRDR_SIMULATION_STEP_DELAY_MS", "0");

      String id;
      JsonNode completed;
      try (AppProcess api = AppProcess.start("api-pg", apiEnv, directory);
          AppProcess worker = AppProcess.start("worker-pg", workerEnv, directory)) {
        await(() -> send("GET", base + "/api/v1/health/ready", null).statusCode() == 200, api);
        await(() -> send("GET", base + "/api/v1/workers", null).body().contains("available"), api);
        id =
            json(send("POST", base + "/api/v1/backtests/start", "{\"symbol\":\"MSFT\"}"))
                .get("operation_id")
                .asString();
        await(
            () ->
                json(send("GET", base + "/api/v1/operations/" + id, null))
                    .get("status")
                    .asString()
                    .equals("completed"),
            api);
        completed = json(send("GET", base + "/api/v1/operations/" + id, null));
        assertThat(api.log()).doesNotContain(PostgresProcess.PASSWORD);
      }

      try (Connection connection = postgres.connect();
          PreparedStatement select =
              connection.prepareStatement("SELECT state FROM operations WHERE id = ?")) {
        select.setString(1, id);
        try (ResultSet rows = select.executeQuery()) {
          assertThat(rows.next()).isTrue();
          assertThat(rows.getString(1)).isEqualTo("completed");
        }
      }

      try (AppProcess restarted = AppProcess.start("api-pg-restarted", apiEnv, directory)) {
        await(
            () -> send("GET", base + "/api/v1/health/ready", null).statusCode() == 200, restarted);
        JsonNode again = json(send("GET", base + "/api/v1/operations/" + id, null));
        assertThat(again.get("status").asString()).isEqualTo("completed");
        assertThat(again.get("result")).isEqualTo(completed.get("result"));
        assertThat(json(send("GET", base + "/api/v1/data/AAPL/1d", null)).get("count").asInt())
            .isEqualTo(520);
      }
    }
  }

  private static void await(Supplier<Boolean> condition, AppProcess process) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (condition.get()) {
          return;
        }
      } catch (RuntimeException e) {
        // not answering yet
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("timed out; log:\n" + process.log());
  }
}
