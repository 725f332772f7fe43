package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.app.testing.Repo;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code scripts/run.sh} as a user runs it: every port from its variable, Prometheus configured
 * from those ports (workers discovered from the API), protected {@code /metrics} scraped with the
 * token from a file, and a busy Prometheus port that only skips Prometheus.
 */
class RunScriptIT {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Path directory;
  private Process run;

  @BeforeEach
  void directory() throws IOException {
    directory = Files.createTempDirectory("ktrdr-run-");
    PrometheusProcess.binary("prometheus");
    PrometheusProcess.binary("prometheus-alertmanager");
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (run != null) {
      // What is under test is the start; the app's graceful stop has tests of its own.
      run.descendants().forEach(ProcessHandle::destroyForcibly);
      run.destroy();
      if (!run.waitFor(20, TimeUnit.SECONDS)) {
        run.descendants().forEach(ProcessHandle::destroyForcibly);
        run.destroyForcibly();
      }
    }
  }

  private Process start(Map<String, String> env) throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder("bash", "scripts/run.sh")
            .directory(Repo.root().toFile())
            .redirectErrorStream(true)
            .redirectOutput(directory.resolve("run.log").toFile());
    builder.environment().putAll(env);
    builder.environment().put("KTRDR_RUN_DIR", directory.resolve("run").toString());
    // No collector here: no export attempts.
    builder.environment().put("OTEL_TRACES_EXPORTER", "none");
    builder.environment().put("OTEL_LOGS_EXPORTER", "none");
    return builder.start();
  }

  private String log() {
    try {
      return Files.readString(directory.resolve("run.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static HttpResponse<String> get(String url, String token) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    try {
      return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private void await(BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      assertThat(run.isAlive()).as("run.sh still running; log:\n%s", log()).isTrue();
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError(what + " not within " + timeout + "; log:\n" + log());
  }

  private static int upTargets(int prometheusPort) {
    HttpResponse<String> response =
        get(
            "http://127.0.0.1:"
                + prometheusPort
                + "/api/v1/query?query="
                + PrometheusProcess.encode("up{job=~\"ktrdr-api|ktrdr-workers\"} == 1"),
            null);
    if (response == null || response.statusCode() != 200) {
      return -1;
    }
    return JSON.readTree(response.body()).at("/data/result").size();
  }

  @Test
  void everyPortComesFromItsVariableAndPrometheusScrapesProtectedMetricsWithTheTokenFile()
      throws IOException {
    int api = PrometheusProcess.freePort();
    int backtest = PrometheusProcess.freePort();
    int training = PrometheusProcess.freePort();
    int prometheus = PrometheusProcess.freePort();
    int alertmanager = PrometheusProcess.freePort();
    String token = "run-it-" + System.nanoTime();
    run =
        start(
            Map.of(
                "KTRDR_API_PORT", Integer.toString(api),
                "KTRDR_BACKTEST_WORKER_PORT", Integer.toString(backtest),
                "KTRDR_TRAINING_WORKER_PORT", Integer.toString(training),
                "KTRDR_PROMETHEUS_PORT", Integer.toString(prometheus),
                "KTRDR_ALERTMANAGER_PORT", Integer.toString(alertmanager),
                "KTRDR_PROMETHEUS_SCRAPE_INTERVAL", "1s",
                "KTRDR_METRICS_BEARER_TOKEN", token));
    await(() -> upTargets(prometheus) == 3, Duration.ofSeconds(60), "API and both workers up");

    HttpResponse<String> targets =
        get("http://127.0.0.1:" + prometheus + "/api/v1/targets?state=active", null);
    JsonNode active = JSON.readTree(targets.body()).at("/data/activeTargets");
    List<String> scraped =
        active.valueStream().map(t -> t.at("/labels/instance").asString()).toList();
    assertThat(scraped)
        .contains("127.0.0.1:" + api, "127.0.0.1:" + backtest, "127.0.0.1:" + training);
    // The app really is protected: without the token its /metrics is refused.
    assertThat(get("http://127.0.0.1:" + api + "/metrics", null).statusCode()).isEqualTo(401);
    assertThat(get("http://127.0.0.1:" + backtest + "/metrics", null).statusCode()).isEqualTo(401);
    assertThat(get("http://127.0.0.1:" + api + "/metrics", token).statusCode()).isEqualTo(200);
    Path tokenFile = directory.resolve("run/metrics-token");
    assertThat(Files.readString(tokenFile)).isEqualTo(token);
    assertThat(Files.readString(directory.resolve("run/prometheus.yml")))
        .contains("credentials_file: " + tokenFile)
        .doesNotContain(token);
    assertThat(log()).doesNotContain(token);

    // Alerts take the stack's path: Prometheus has the Alertmanager run.sh started (so
    // PrometheusNoAlertmanager cannot fire), and the always-firing Watchdog arrives there.
    await(
        () -> {
          HttpResponse<String> alerts =
              get("http://127.0.0.1:" + alertmanager + "/api/v2/alerts", null);
          return alerts != null
              && alerts.statusCode() == 200
              && alerts.body().contains("\"alertname\":\"Watchdog\"");
        },
        Duration.ofSeconds(60),
        "Watchdog at the Alertmanager run.sh started");
    HttpResponse<String> discovered =
        get(
            "http://127.0.0.1:"
                + prometheus
                + "/api/v1/query?query="
                + PrometheusProcess.encode("prometheus_notifications_alertmanagers_discovered"),
            null);
    assertThat(JSON.readTree(discovered.body()).at("/data/result/0/value/1").asString())
        .isEqualTo("1");
    assertThat(log())
        .contains("run: Alertmanager on http://127.0.0.1:" + alertmanager)
        .doesNotContain("no alertmanager binary");
    // Loopback only, and no cluster listener (it would bind 0.0.0.0:9094).
    assertThat(Files.readString(directory.resolve("run/prometheus.yml")))
        .contains("- targets: ['127.0.0.1:" + alertmanager + "']");
  }

  @Test
  void aBusyPrometheusPortSkipsPrometheusWithAMessageAndTheAppRuns() throws IOException {
    int api = PrometheusProcess.freePort();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int prometheus = taken.getLocalPort();
      run =
          start(
              Map.of(
                  "KTRDR_API_PORT", Integer.toString(api),
                  "KTRDR_BACKTEST_WORKER_PORT", Integer.toString(PrometheusProcess.freePort()),
                  "KTRDR_TRAINING_WORKER_PORT", Integer.toString(PrometheusProcess.freePort()),
                  "KTRDR_PROMETHEUS_PORT", Integer.toString(prometheus)));
      await(
          () -> {
            HttpResponse<String> health = get("http://127.0.0.1:" + api + "/api/v1/health", null);
            return health != null && health.statusCode() == 200;
          },
          Duration.ofSeconds(60),
          "the API answering");
      // run.sh checks Prometheus' port once the API answers: wait for its line, not the health.
      String skipped =
          "run: port "
              + prometheus
              + " is in use, so Prometheus is not started (the app runs without it);"
              + " choose another port with KTRDR_PROMETHEUS_PORT=<port>";
      await(() -> log().contains(skipped), Duration.ofSeconds(30), "run.sh skipping Prometheus");
      assertThat(run.isAlive()).isTrue();
    }
  }

  @Test
  void aBusyApiPortStopsTheRunNamingTheVariable() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      run = start(Map.of("KTRDR_API_PORT", Integer.toString(taken.getLocalPort())));
      assertThat(run.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(run.exitValue()).isEqualTo(1);
      assertThat(log())
          .contains(
              "run: port "
                  + taken.getLocalPort()
                  + " is in use; stop what uses it or choose another: KTRDR_API_PORT=<port>");
    }
  }
}
