package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.AppProcess;
import io.ktrdr.app.testing.Cluster;
import io.ktrdr.app.testing.PrometheusProcess;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The packaged jar's command line: role argument, usage, unknown arguments. */
class CommandLineIT {

  @Test
  void helpPrintsTheUsageAndExitsZero() throws Exception {
    Path directory = Files.createTempDirectory("ktrdr-cli-");
    try (AppProcess app = AppProcess.start("help", Map.of(), directory, List.of("--help"))) {
      assertThat(app.waitFor(Duration.ofSeconds(30))).isZero();
      assertThat(app.log())
          .contains("Usage: java -jar ktrdr-app.jar [api|worker] [--help]")
          .contains("KTRDR_CLUSTER_SECRET")
          .doesNotContain("listening");
    }
  }

  @Test
  void anUnknownArgumentIsRefusedWithStatus2() throws Exception {
    Path directory = Files.createTempDirectory("ktrdr-cli-");
    try (AppProcess app = AppProcess.start("bad", Map.of(), directory, List.of("--port=1"))) {
      assertThat(app.waitFor(Duration.ofSeconds(30))).isEqualTo(2);
      assertThat(app.log())
          .contains("ktrdr-app: unknown argument '--port=1'")
          .contains("Usage: java -jar ktrdr-app.jar");
    }
  }

  @Test
  void theRoleArgumentWinsOverTheEnvironment() throws Exception {
    Path directory = Files.createTempDirectory("ktrdr-cli-");
    int port = PrometheusProcess.freePort();
    try (AppProcess app =
        AppProcess.start(
            "worker",
            Map.of(
                "KTRDR_ROLE", "api",
                "KTRDR_PORT", Integer.toString(port),
                "KTRDR_API_URL", "http://127.0.0.1:9"),
            directory,
            List.of("worker"))) {
      HttpResponse<String> health = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        try {
          health = Cluster.send("GET", "http://127.0.0.1:" + port + "/health", null);
          break;
        } catch (RuntimeException e) {
          Thread.sleep(100);
        }
      }
      assertThat(health).as(app.log()).isNotNull();
      assertThat(Cluster.json(health).get("worker_type").asString()).isEqualTo("backtesting");
    }
  }
}
