package io.ktrdr.app;

import static io.ktrdr.app.testing.Cluster.json;
import static io.ktrdr.app.testing.Cluster.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.AppProcess;
import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.app.testing.Repo;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * The bundled stack, proved with what runs here: the API and two workers as separate processes of
 * the packaged jar, a real Prometheus with the repository's rules and a localhost variant of its
 * scrape configuration, and a real Alertmanager with the repository's configuration. Every
 * dashboard query is evaluated in that Prometheus.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StackIT {
  /** What Grafana would put in the queries, for this short test run. */
  private static final Map<String, String> GRAFANA_VARIABLES =
      Map.of(
          "$__rate_interval", "2m",
          "$__range", "10m",
          "$__interval", "15s",
          "$job", ".*",
          "$instance", ".*",
          "$worker_type", ".*");

  private static Path directory;
  private static OtlpReceiver receiver;
  private static final List<AutoCloseable> running = new ArrayList<>();
  private static AppProcess trainingWorker;
  private static int apiPort;
  private static PrometheusProcess prometheus;
  private static Process alertmanager;

  @BeforeAll
  static void startStack() throws Exception {
    directory = Files.createTempDirectory("ktrdr-stack-");
    receiver = OtlpReceiver.start();
    apiPort = PrometheusProcess.freePort();
    int backtestPort = PrometheusProcess.freePort();
    int trainingPort = PrometheusProcess.freePort();
    int alertmanagerPort = PrometheusProcess.freePort();

    Map<String, String> common = new HashMap<>();
    common.put("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint());
    common.put("OTEL_BSP_SCHEDULE_DELAY", "200");
    common.put("KTRDR_API_URL", "http://127.0.0.1:" + apiPort);
    common.put("KTRDR_SIMULATION_STEP_DELAY_MS", "2");
    Map<String, String> api = new HashMap<>(common);
    api.put("KTRDR_ROLE", "api");
    api.put("KTRDR_PORT", Integer.toString(apiPort));
    api.put("KTRDR_WORKER_HEALTH_INTERVAL_MS", "300");
    running.add(AppProcess.start("api", api, directory));
    running.add(
        AppProcess.start(
            "backtest-worker",
            worker(common, "backtesting", "backtest-worker-1", backtestPort),
            directory));
    trainingWorker =
        AppProcess.start(
            "training-worker",
            worker(common, "training", "training-worker-1", trainingPort),
            directory);
    running.add(trainingWorker);
    awaitReady(apiPort);

    alertmanager = startAlertmanager(alertmanagerPort);
    prometheus =
        PrometheusProcess.start(
            prometheusConfig(apiPort, backtestPort, trainingPort, alertmanagerPort),
            "--enable-feature=exemplar-storage");
    running.add(prometheus);

    try {
      prometheus.awaitQuery(
          "up{job=~\"ktrdr-.*\"} == 1", result -> result.size() == 3, Duration.ofSeconds(30));
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage()
              + "\ntargets: "
              + prometheus.get("/api/v1/targets").body()
              + "\nlog: "
              + prometheus.log(),
          e);
    }
    driveTraffic();
    // At least two scrapes after the traffic, and the recording rules evaluated on them.
    Thread.sleep(3000);
  }

  private static Map<String, String> worker(
      Map<String, String> common, String type, String id, int port) {
    Map<String, String> env = new HashMap<>(common);
    env.put("KTRDR_ROLE", "worker");
    env.put("KTRDR_WORKER_TYPE", type);
    env.put("KTRDR_WORKER_ID", id);
    env.put("KTRDR_PORT", Integer.toString(port));
    return env;
  }

  private static void awaitReady(int port) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> workers = send("GET", api("/api/v1/workers"), null);
        HttpResponse<String> ready = send("GET", api("/api/v1/health/ready"), null);
        if (ready.statusCode() == 200 && json(workers).get("workers").size() == 2) {
          return;
        }
      } catch (RuntimeException notYet) {
        // starting
      }
      Thread.sleep(200);
    }
    StringBuilder logs = new StringBuilder();
    for (AutoCloseable process : running) {
      if (process instanceof AppProcess) {
        logs.append(((AppProcess) process).name())
            .append(":\n")
            .append(((AppProcess) process).log());
      }
    }
    throw new AssertionError("the API and its workers did not come up:\n" + logs);
  }

  private static String api(String path) {
    return "http://127.0.0.1:" + apiPort + path;
  }

  /** The shipped localhost configuration, pointed at this run's ports and rules. */
  private static String prometheusConfig(int api, int backtest, int training, int alertmanagerPort)
      throws IOException {
    String config = Files.readString(Repo.path("prometheus/prometheus.local.yml"));
    config =
        config
            .replace("scrape_interval: 15s", "scrape_interval: 1s")
            .replace("evaluation_interval: 15s", "evaluation_interval: 1s")
            .replace("127.0.0.1:8000", "127.0.0.1:" + api)
            .replace("127.0.0.1:5003", "127.0.0.1:" + backtest)
            .replace("127.0.0.1:5004", "127.0.0.1:" + training)
            .replace(
                "rules/*.rules.yml", Repo.path("prometheus/rules").toString() + "/*.rules.yml");
    assertThat(config)
        .contains("127.0.0.1:" + api, "127.0.0.1:" + backtest, "127.0.0.1:" + training);
    return config
        + "\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:"
        + alertmanagerPort
        + "']\n";
  }

  /** Debian's Alertmanager with the shipped configuration, its webhook pointed at this API. */
  private static Process startAlertmanager(int port) throws IOException {
    Path binary = PrometheusProcess.binary("prometheus-alertmanager");
    String config =
        Files.readString(Repo.path("prometheus/alertmanager.yml"))
            .replace("http://backend:8000", "http://127.0.0.1:" + apiPort)
            .replace("group_wait: 30s", "group_wait: 1s")
            .replace("group_wait: 10s", "group_wait: 1s");
    Path file = directory.resolve("alertmanager.yml");
    Files.writeString(file, config);
    Process process =
        new ProcessBuilder(
                binary.toString(),
                "--config.file=" + file,
                "--storage.path=" + directory.resolve("alertmanager-data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address=")
            .redirectErrorStream(true)
            .redirectOutput(directory.resolve("alertmanager.log").toFile())
            .start();
    return process;
  }

  private static void driveTraffic() {
    for (int i = 0; i < 5; i++) {
      send("GET", api("/api/v1/health"), null);
      send("GET", api("/api/v1/data/symbols"), null);
      send("GET", api("/api/v1/data/timeframes"), null);
      send("GET", api("/api/v1/data/AAPL/1d?start=2024-01-01"), null);
      send("GET", api("/api/v1/data/NOPE/1d"), null); // 404
      send("GET", api("/api/v1/data/AAPL/9y"), null); // 400
      send("GET", api("/no/such/route/" + i), null); // 404, no route
    }
    String backtest =
        json(send(
                "POST",
                api("/api/v1/backtests/start"),
                "{\"symbol\":\"AAPL\",\"timeframe\":\"1d\"}"))
            .get("operation_id")
            .asString();
    String training =
        json(send("POST", api("/api/v1/trainings/start"), "{\"symbol\":\"MSFT\",\"epochs\":20}"))
            .get("operation_id")
            .asString();
    awaitFinal(backtest);
    awaitFinal(training);
  }

  private static JsonNode awaitFinal(String id) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode op = json(send("GET", api("/api/v1/operations/" + id), null));
      if (List.of("completed", "failed", "cancelled").contains(op.get("status").asString())) {
        return op;
      }
      sleep(100);
    }
    throw new AssertionError("operation " + id + " did not finish");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @AfterAll
  static void stopStack() {
    for (int i = running.size() - 1; i >= 0; i--) {
      try {
        running.get(i).close();
      } catch (Exception ignored) {
        // best effort
      }
    }
    if (alertmanager != null) {
      alertmanager.destroy();
    }
    if (receiver != null) {
      receiver.close();
    }
  }

  @Test
  @Order(1)
  void everyAppTargetIsUpAndScrapedFast() {
    JsonNode up = prometheus.query("up{job=~\"ktrdr-.*\"}");
    assertThat(up).hasSize(3);
    for (JsonNode series : up) {
      assertThat(series.get("value").get(1).asString()).as(series.toString()).isEqualTo("1");
    }
    JsonNode durations = prometheus.query("scrape_duration_seconds{job=~\"ktrdr-.*\"}");
    assertThat(durations).hasSize(3);
    for (JsonNode series : durations) {
      assertThat(Double.parseDouble(series.get("value").get(1).asString()))
          .as(series.toString())
          .isLessThan(0.5);
    }
  }

  @Test
  @Order(2)
  void allRuleGroupsLoadHealthy() {
    JsonNode groups = prometheus.api("/api/v1/rules").get("groups");
    List<String> names = new ArrayList<>();
    for (JsonNode group : groups) {
      names.add(group.get("name").asString());
      for (JsonNode rule : group.get("rules")) {
        assertThat(rule.get("health").asString())
            .as("%s / %s: %s", group.get("name"), rule.get("name"), rule.path("lastError"))
            .isEqualTo("ok");
      }
    }
    assertThat(names)
        .contains(
            "ktrdr-http-recording",
            "ktrdr-slo-recording",
            "ktrdr-availability",
            "ktrdr-http",
            "ktrdr-slo",
            "ktrdr-operations",
            "ktrdr-runtime",
            "ktrdr-compat-python");
    assertThat(prometheus.api("/api/v1/alertmanagers").get("activeAlertmanagers")).hasSize(1);
  }

  @Test
  @Order(3)
  void everyDashboardQueryEvaluatesAndReturnsData() {
    for (Path file : Repo.files("grafana-provisioning/dashboards/json", ".json")) {
      JsonNode dashboard = Repo.json(file);
      for (JsonNode variable : dashboard.at("/templating/list")) {
        if (variable.get("type").asString().equals("query")) {
          checkVariable(dashboard.get("uid").asString(), variable.get("definition").asString());
        }
      }
      for (JsonNode panel : dashboard.get("panels")) {
        if (panel.get("type").asString().equals("row")) {
          continue;
        }
        String title = dashboard.get("uid").asString() + " / " + panel.get("title").asString();
        for (JsonNode target : panel.get("targets")) {
          JsonNode result = prometheus.query(substitute(target.get("expr").asString()));
          if (!hasFiniteValue(result)) {
            assertThat(panel.has("ktrdrMayBeEmpty"))
                .as("%s returned no data: %s", title, target.get("expr").asString())
                .isTrue();
          }
        }
      }
    }
    // Which marked panels are empty depends on what happened so far; order 7 checks that each
    // returns data once errors and more operations happened.
  }

  private static void checkVariable(String dashboard, String definition) {
    Matcher m = Pattern.compile("label_values\\((.*), (\\w+)\\)").matcher(definition);
    assertThat(m.matches()).as("%s variable %s", dashboard, definition).isTrue();
    JsonNode result = prometheus.query(substitute(m.group(1)));
    assertThat(PrometheusProcess.labels(result))
        .as("%s variable %s has values", dashboard, definition)
        .anySatisfy(labels -> assertThat(labels).containsKey(m.group(2)));
  }

  private static String substitute(String expr) {
    String result = expr;
    for (Map.Entry<String, String> variable : GRAFANA_VARIABLES.entrySet()) {
      result = result.replace(variable.getKey(), variable.getValue());
    }
    assertThat(result).as("all variables substituted in %s", expr).doesNotContain("$");
    return result;
  }

  private static boolean hasFiniteValue(JsonNode result) {
    for (JsonNode series : result) {
      double value = Double.parseDouble(series.get("value").get(1).asString());
      if (!Double.isNaN(value) && !Double.isInfinite(value)) {
        return true;
      }
    }
    return false;
  }

  @Test
  @Order(4)
  void theSeedsQueriesWorkUnchangedThroughTheCompatibilityRules() {
    assertThat(prometheus.single("up{job=\"ktrdr-api\"}")).isEqualTo(1.0);
    JsonNode rate = prometheus.query("rate(http_server_duration_milliseconds_count[5m])");
    assertThat(rate).isNotEmpty();
    assertThat(hasPositive(rate)).isTrue();
    JsonNode mean =
        prometheus.query(
            "rate(http_server_duration_milliseconds_sum[5m]) / rate(http_server_duration_milliseconds_count[5m])");
    assertThat(hasFiniteValue(mean)).isTrue();
    JsonNode byStatus =
        prometheus.query(
            "sum by(http_status_code) (rate(http_server_duration_milliseconds_count[5m]))");
    assertThat(PrometheusProcess.labels(byStatus))
        .extracting(labels -> labels.get("http_status_code"))
        .contains("200", "404", "400");
  }

  private static boolean hasPositive(JsonNode result) {
    for (JsonNode series : result) {
      if (Double.parseDouble(series.get("value").get(1).asString()) > 0) {
        return true;
      }
    }
    return false;
  }

  @Test
  @Order(5)
  void exemplarsAreQueryableAndLeadToExportedTraces() {
    String query =
        "/api/v1/query_exemplars?query="
            + PrometheusProcess.encode("http_server_request_duration_seconds_bucket")
            + "&start="
            + Instant.now().minusSeconds(600).getEpochSecond()
            + "&end="
            + Instant.now().plusSeconds(60).getEpochSecond();
    List<String> traceIds = new ArrayList<>();
    for (JsonNode series : prometheus.api(query)) {
      for (JsonNode exemplar : series.get("exemplars")) {
        traceIds.add(exemplar.get("labels").get("trace_id").asString());
      }
    }
    assertThat(traceIds).isNotEmpty();
    List<String> exported =
        receiver.spans().stream().map(OtlpReceiver.ReceivedSpan::traceId).toList();
    assertThat(traceIds).anySatisfy(id -> assertThat(exported).contains(id));
  }

  @Test
  @Order(6)
  void theShippedConfigurationPassesPromtoolAndAmtool() throws Exception {
    Path promtool = PrometheusProcess.binary("promtool");
    Path amtool = PrometheusProcess.binary("amtool");
    run(Repo.path("prometheus"), promtool.toString(), "check", "config", "prometheus.yml");
    run(Repo.path("prometheus"), promtool.toString(), "check", "config", "prometheus.local.yml");
    List<String> rules = new ArrayList<>(List.of(promtool.toString(), "check", "rules"));
    Repo.files("prometheus/rules", ".rules.yml").forEach(p -> rules.add(p.toString()));
    run(Repo.path("prometheus"), rules.toArray(String[]::new));
    List<String> tests = new ArrayList<>(List.of(promtool.toString(), "test", "rules"));
    Repo.files("prometheus/rules", "_test.yml").forEach(p -> tests.add(p.toString()));
    assertThat(tests).hasSize(5);
    run(Repo.path("prometheus"), tests.toArray(String[]::new));
    run(Repo.path("prometheus"), amtool.toString(), "check-config", "alertmanager.yml");
  }

  private static void run(Path directory, String... command) throws Exception {
    Process process =
        new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
  }

  @Test
  @Order(7)
  void panelsThatMayBeEmptyReturnDataOnceErrorsAndMoreOperationsHappen() {
    // A slow backtest keeps the only backtesting worker busy: further starts are answered 503.
    String slow =
        json(send(
                "POST",
                api("/api/v1/backtests/start"),
                "{\"symbol\":\"BTCUSD\",\"timeframe\":\"1h\"}"))
            .get("operation_id")
            .asString();
    for (int i = 0; i < 3; i++) {
      assertThat(send("POST", api("/api/v1/backtests/start"), "{\"symbol\":\"SPY\"}").statusCode())
          .isEqualTo(503);
    }
    awaitFinal(slow);
    // A second completed backtest gives the duration histogram an increase to take quantiles of.
    awaitFinal(
        json(send("POST", api("/api/v1/backtests/start"), "{\"symbol\":\"SPY\"}"))
            .get("operation_id")
            .asString());
    sleep(3000);
    for (Path file : Repo.files("grafana-provisioning/dashboards/json", ".json")) {
      for (JsonNode panel : Repo.json(file).get("panels")) {
        if (!panel.has("ktrdrMayBeEmpty")) {
          continue;
        }
        for (JsonNode target : panel.get("targets")) {
          assertThat(hasFiniteValue(prometheus.query(substitute(target.get("expr").asString()))))
              .as("%s returns data after errors", panel.get("title").asString())
              .isTrue();
        }
      }
    }
  }

  @Test
  @Order(8)
  void aLostWorkerFiresAnAlertThatReachesTheApiThroughAlertmanager() {
    String training =
        json(send(
                "POST",
                api("/api/v1/trainings/start"),
                "{\"symbol\":\"BTCUSD\",\"timeframe\":\"1h\",\"epochs\":1000}"))
            .get("operation_id")
            .asString();
    sleep(500);
    trainingWorker.kill();
    JsonNode lost = awaitFinal(training);
    assertThat(lost.get("status").asString()).isEqualTo("failed");
    assertThat(lost.get("error").asString()).contains("training-worker-1 stopped responding");

    // The dead worker's target goes down and its series go stale (disappear from instant queries).
    prometheus.awaitQuery(
        "up{job=\"ktrdr-workers\", worker_type=\"training\"} == 0",
        result -> result.size() == 1,
        Duration.ofSeconds(30));
    prometheus.awaitQuery(
        "ktrdr_operations_active{job=\"ktrdr-workers\", worker_type=\"training\"}",
        result -> result.isEmpty(),
        Duration.ofSeconds(30));
    prometheus.awaitQuery(
        "ALERTS{alertname=\"KtrdrOperationsLost\", alertstate=\"firing\"}",
        result -> result.size() == 1,
        Duration.ofSeconds(30));
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String metrics = "";
    while (System.nanoTime() < deadline) {
      metrics = send("GET", api("/metrics"), null).body();
      if (metrics.contains("ktrdr_alerts_received_total{alertname=\"KtrdrOperationsLost\"")) {
        break;
      }
      sleep(500);
    }
    assertThat(metrics)
        .as("Alertmanager delivered the alert to the API's webhook")
        .contains("ktrdr_alerts_received_total{alertname=\"KtrdrOperationsLost\"");
  }
}
