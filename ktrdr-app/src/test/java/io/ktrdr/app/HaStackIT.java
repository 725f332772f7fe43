package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.ktrdr.app.testing.AlertmanagerProcess;
import io.ktrdr.app.testing.Cluster;
import io.ktrdr.app.testing.DashboardQueries;
import io.ktrdr.app.testing.ForeignTarget;
import io.ktrdr.app.testing.Processes;
import io.ktrdr.app.testing.PromQl;
import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.app.testing.Repo;
import io.ktrdr.app.testing.SmtpSink;
import io.ktrdr.app.testing.VictoriaMetricsProcess;
import io.ktrdr.app.testing.WebhookReceiver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * The compose profile {@code ha} with real processes: the two replicas of {@code prometheus/ha/}
 * (addresses and periods changed for the test, nothing else), three Alertmanagers clustered as
 * compose clusters them with the shipped {@code alertmanager.yml}, VictoriaMetrics deduplicating
 * what both replicas remote-write, the real API and workers, an SMTP sink (the pages) and webhook
 * sinks (the API's copy, the dead man's switch). Alert conditions are drills: a metric the test
 * switches on, under rules of its own, evaluated by both replicas like every shipped rule.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HaStackIT {
  /** The replicas' scrape and evaluation interval in this test (15 s shipped). */
  private static final int INTERVAL_SECONDS = 1;

  private static final Duration WAIT = Duration.ofSeconds(40);
  private static final List<String> DRILLS = List.of("Once", "Silenced", "InFlight", "Failover");

  private static Path directory;
  private static SmtpSink smtp;
  private static WebhookReceiver webhook;
  private static WebhookReceiver deadMansSwitch;
  private static HttpServer drillTarget;
  private static final Map<String, Integer> drills = new ConcurrentHashMap<>();
  private static Cluster cluster;
  private static ForeignTarget foreign;
  private static VictoriaMetricsProcess store;
  private static final int[] alertmanagerPorts = new int[3];
  private static final int[] clusterPorts = new int[3];
  private static final AlertmanagerProcess[] alertmanagers = new AlertmanagerProcess[3];
  private static final int[] prometheusPorts = new int[2];
  private static final PrometheusProcess[] replicas = new PrometheusProcess[2];
  private static final List<String> report = new ArrayList<>();

  @BeforeAll
  static void startStack() throws Exception {
    directory = Files.createTempDirectory("ktrdr-ha-");
    smtp = SmtpSink.start();
    webhook = WebhookReceiver.start();
    deadMansSwitch = WebhookReceiver.start();
    startDrillTarget();
    store = VictoriaMetricsProcess.start("-dedup.minScrapeInterval=" + INTERVAL_SECONDS + "s");
    cluster = new Cluster(Map.of(), Map.of());
    Cluster.WorkerHandle backtest =
        cluster.startWorker("backtest-worker-1", "backtesting", Duration.ofMillis(2));
    cluster.startWorker("training-worker-1", "training", Duration.ofMillis(2));
    // Another service with KTRDR's metric names and very different values, scraped by both.
    foreign =
        ForeignTarget.start(
            List.of(
                Cluster.send("GET", cluster.apiUrl("/metrics"), null).body(),
                Cluster.send("GET", backtest.url("/metrics"), null).body()));

    for (int i = 0; i < 3; i++) {
      alertmanagerPorts[i] = PrometheusProcess.freePort();
      clusterPorts[i] = PrometheusProcess.freePort();
    }
    for (int i = 0; i < 3; i++) {
      alertmanagers[i] = startAlertmanager(i, Files.createTempDirectory("ktrdr-ha-am-" + i));
    }
    awaitCluster(WAIT);

    for (int i = 0; i < 2; i++) {
      prometheusPorts[i] = PrometheusProcess.freePort();
    }
    for (int i = 0; i < 2; i++) {
      replicas[i] = startReplica(i);
    }
    for (PrometheusProcess replica : replicas) {
      replica.awaitQuery(
          "up{job=~\"ktrdr-.*\"} == 1", result -> result.size() == 3, Duration.ofSeconds(30));
      assertThat(replica.api("/api/v1/alertmanagers").get("activeAlertmanagers")).hasSize(3);
    }
    driveTraffic();
  }

  /**
   * Alertmanager {@code i} as compose runs it: the first (compose's alertmanager service) with no
   * peer flag, the other two naming the other members. Shorter cluster timings than the defaults: a
   * member at position n waits n x peer-timeout before it sends what the first has not.
   */
  private static AlertmanagerProcess startAlertmanager(int i, Path dir) {
    List<String> flags = new ArrayList<>();
    flags.add("--cluster.listen-address=127.0.0.1:" + clusterPorts[i]);
    if (i > 0) {
      for (int peer = 0; peer < 3; peer++) {
        if (peer != i) {
          flags.add("--cluster.peer=127.0.0.1:" + clusterPorts[peer]);
        }
      }
    }
    flags.add("--cluster.peer-timeout=3s");
    flags.add("--cluster.pushpull-interval=2s");
    flags.add("--cluster.reconnect-interval=2s");
    return AlertmanagerProcess.start(alertmanagerConfig(), dir, alertmanagerPorts[i], flags);
  }

  /** The shipped configuration, its receivers at the sinks, its waits in seconds. */
  private static String alertmanagerConfig() {
    String config =
        Repo.text("prometheus/alertmanager.yml")
            .replace("http://backend:8000/api/v1/alerts", webhook.url())
            .replace("smtp_smarthost: 'mailpit:1025'", "smtp_smarthost: '" + smtp.address() + "'")
            .replaceAll("group_wait: \\d+s", "group_wait: 1s")
            .replaceAll("group_interval: \\d+m", "group_interval: 1s")
            // The dead man's switch hears each replica's Watchdog every second.
            .replace("repeat_interval: 1m", "repeat_interval: 1s")
            .replace(
                "  - name: deadmans-switch",
                "  - name: deadmans-switch\n    webhook_configs:\n      - url: "
                    + deadMansSwitch.url()
                    + "\n        send_resolved: false");
    assertThat(config)
        .doesNotContain("backend:8000", "mailpit", "group_interval: 5m", "repeat_interval: 1m")
        .contains("watchdog_replica", "repeat_interval: 4h");
    return config;
  }

  /**
   * Replica {@code i}'s shipped file with this run's addresses, 1 s periods, the drill rules and
   * target in place of the jobs of services this run has not (Jaeger, Grafana).
   */
  private static String replicaConfig(int i) throws IOException {
    String shipped = Repo.text("prometheus/ha/prometheus-" + i + ".yml");
    Path rules = directory.resolve("drill.rules.yml");
    StringBuilder drillRules = new StringBuilder("groups:\n  - name: ha-drill\n    rules:\n");
    for (String drill : DRILLS) {
      drillRules
          .append("      - alert: HaDrill")
          .append(drill)
          .append("\n        expr: ha_drill{drill=\"")
          .append(drill)
          .append("\"} > 0\n        labels:\n          severity: critical\n")
          .append("        annotations:\n          summary: drill ")
          .append(drill)
          .append('\n');
    }
    Files.writeString(rules, drillRules.toString());
    String config =
        shipped
            .replaceAll("(?m)^\\s*always_scrape_classic_histograms: true\\n", "")
            .replace("_interval: 15s", "_interval: " + INTERVAL_SECONDS + "s")
            .replace("scrape_timeout: 10s", "scrape_timeout: " + INTERVAL_SECONDS + "s")
            .replace(
                "  - ../rules/*.rules.yml",
                "  - " + Repo.path("prometheus/rules") + "/*.rules.yml\n  - " + rules)
            .replace("backend:8000", "127.0.0.1:" + cluster.api.port())
            .replace("prometheus-1:9090", "127.0.0.1:" + prometheusPorts[1])
            .replace("prometheus:9090", "127.0.0.1:" + prometheusPorts[0])
            .replace("alertmanager-1:9093", "127.0.0.1:" + alertmanagerPorts[1])
            .replace("alertmanager-2:9093", "127.0.0.1:" + alertmanagerPorts[2])
            .replace("alertmanager:9093", "127.0.0.1:" + alertmanagerPorts[0])
            .replace("http://victoriametrics:8428/api/v1/write", store.writeUrl())
            .replace(
                "      max_samples_per_send: 5000\n",
                "      max_samples_per_send: 5000\n      batch_send_deadline: 1s\n")
            .replaceAll(
                "(?s)  - job_name: jaeger\\n.*",
                "  - job_name: ha-drill\n    static_configs:\n      - targets: ['127.0.0.1:"
                    + drillTarget.getAddress().getPort()
                    + "']\n  - job_name: foreign-otel-service\n    static_configs:\n"
                    + "      - targets: ['"
                    + foreign.address()
                    + "']\n");
    assertThat(config)
        .doesNotContain("backend", "victoriametrics", "alertmanager-", "prometheus-1:", "jaeger")
        .contains("replica: prometheus-" + i, "labeldrop", "batch_send_deadline: 1s");
    return config;
  }

  private static PrometheusProcess startReplica(int i) throws IOException {
    // Alerts are re-sent every second and expire 4 s after the last one: a dead replica's alerts
    // (its Watchdog) end in seconds instead of minutes.
    return PrometheusProcess.start(
        prometheusPorts[i], replicaConfig(i), "--rules.alert.resend-delay=1s");
  }

  /** A target whose {@code ha_drill} series the test switches on. */
  private static void startDrillTarget() throws IOException {
    DRILLS.forEach(d -> drills.put(d, 0));
    drillTarget = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    drillTarget.createContext(
        "/metrics",
        exchange -> {
          try (exchange) {
            String body =
                drills.entrySet().stream()
                    .map(e -> "ha_drill{drill=\"" + e.getKey() + "\"} " + e.getValue() + "\n")
                    .collect(Collectors.joining());
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
          }
        });
    drillTarget.start();
  }

  private static void driveTraffic() {
    for (int i = 0; i < 5; i++) {
      cluster.api("GET", "/api/v1/health", null);
      cluster.api("GET", "/api/v1/data/symbols", null);
      cluster.api("GET", "/api/v1/data/AAPL/1d?start=2024-01-01", null);
      cluster.api("GET", "/api/v1/data/NOPE/1d", null);
      cluster.api("GET", "/api/v1/data/AAPL/9y", null);
    }
    for (String start :
        List.of(
            "/api/v1/backtests/start:{\"symbol\":\"AAPL\",\"timeframe\":\"1d\"}",
            "/api/v1/trainings/start:{\"symbol\":\"MSFT\",\"epochs\":20}")) {
      int colon = start.indexOf(':');
      String id =
          Cluster.json(cluster.api("POST", start.substring(0, colon), start.substring(colon + 1)))
              .get("operation_id")
              .asString();
      cluster.awaitFinal(id);
    }
  }

  @AfterAll
  static void stopStack() {
    for (PrometheusProcess replica : replicas) {
      closeQuietly(replica);
    }
    for (AlertmanagerProcess alertmanager : alertmanagers) {
      closeQuietly(alertmanager);
    }
    closeQuietly(store);
    closeQuietly(cluster);
    closeQuietly(foreign);
    closeQuietly(webhook);
    closeQuietly(deadMansSwitch);
    closeQuietly(smtp);
    if (drillTarget != null) {
      drillTarget.stop(0);
    }
    // What each failure cost, for docs/operations.md.
    report.forEach(line -> System.out.println("HaStackIT: " + line));
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      if (closeable != null) {
        closeable.close();
      }
    } catch (Exception ignored) {
      // best effort
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static void await(BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " not within " + timeout);
      }
      Processes.pause(100);
    }
  }

  /** Waits until every Alertmanager sees the other two and has settled. */
  private static void awaitCluster(Duration timeout) {
    await(
        () -> {
          for (AlertmanagerProcess alertmanager : alertmanagers) {
            JsonNode status = alertmanager.get("/api/v2/status").get("cluster");
            if (!status.get("status").asString().equals("ready")
                || status.get("peers").size() != 3) {
              return false;
            }
          }
          return true;
        },
        timeout,
        "the three Alertmanagers in one cluster");
  }

  private static boolean names(JsonNode notification, String alertname) {
    for (JsonNode alert : notification.get("alerts")) {
      if (alert.at("/labels/alertname").asString().equals(alertname)) {
        return true;
      }
    }
    return false;
  }

  private static List<JsonNode> firing(String alertname) {
    return webhook.notifications().stream()
        .filter(n -> n.get("status").asString().equals("firing") && names(n, alertname))
        .toList();
  }

  private static List<SmtpSink.Mail> pages(String alertname) {
    return smtp.mails().stream()
        .filter(m -> m.recipients().contains("oncall@ktrdr.local") && m.text().contains(alertname))
        .toList();
  }

  private static long heartbeats(String replica) {
    return deadMansSwitch.notifications().stream()
        .filter(n -> n.at("/groupLabels/watchdog_replica").asString().equals(replica))
        .count();
  }

  /**
   * Lets the cluster finish what it would still send: the last member waits 2 x peer-timeout (6 s)
   * plus the group wait before it sends what nobody has. Measured in heartbeats of the dead man's
   * switch (one a second from a live replica): ten from {@code replica}.
   */
  private static void settle(String replica) {
    long before = heartbeats(replica);
    await(() -> heartbeats(replica) >= before + 10, WAIT, "ten heartbeats of " + replica);
  }

  private static void fire(String drill) {
    drills.put(drill, 1);
  }

  // ---- tests ---------------------------------------------------------------------------------

  @Test
  @Order(0)
  void theHaAndShardConfigurationsPassPromtool() throws Exception {
    Path promtool = PrometheusProcess.binary("promtool");
    List<String> configs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      configs.add(Repo.text("prometheus/ha/prometheus-" + i + ".yml"));
    }
    for (int index = 0; index < 3; index++) {
      Process render =
          new ProcessBuilder(
                  "bash",
                  Repo.path("scripts/prometheus-shard-config.sh").toString(),
                  "3",
                  Integer.toString(index))
              .start();
      configs.add(new String(render.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      assertThat(render.waitFor()).isZero();
    }
    for (String config : configs) {
      // Checked next to the shipped one, so that ../rules/ resolves as in the container.
      // Debian's promtool 2.42 does not know the Prometheus-3-only key: a copy without it.
      Path checked = Repo.path("prometheus/ha").resolve(".promtool-check.yml");
      Files.writeString(
          checked, config.replaceAll("(?m)^\\s*always_scrape_classic_histograms: true\\n", ""));
      try {
        Process check =
            new ProcessBuilder(promtool.toString(), "check", "config", checked.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.waitFor()).as(output).isZero();
        if (config.contains("rule_files")) {
          assertThat(output).contains("SUCCESS: 3 rule files found");
        }
      } finally {
        Files.delete(checked);
      }
    }
  }

  @Test
  @Order(1)
  void oneConditionOnBothReplicasReachesEachReceiverOnce() {
    fire("Once");
    for (PrometheusProcess replica : replicas) {
      replica.awaitQuery(
          "ALERTS{alertname=\"HaDrillOnce\", alertstate=\"firing\"}",
          result -> result.size() == 1,
          WAIT);
    }
    webhook.await(n -> names(n, "HaDrillOnce"), WAIT, "HaDrillOnce at the webhook");
    smtp.await(m -> !pages("HaDrillOnce").isEmpty(), WAIT, "HaDrillOnce paged");
    // Both replicas sent it to every Alertmanager: one alert each, without the replica label.
    for (AlertmanagerProcess alertmanager : alertmanagers) {
      List<JsonNode> held = new ArrayList<>();
      alertmanager.alerts().forEach(held::add);
      List<JsonNode> drill =
          held.stream()
              .filter(a -> a.at("/labels/alertname").asString().equals("HaDrillOnce"))
              .toList();
      assertThat(drill).as("Alertmanager %s", alertmanager.port()).hasSize(1);
      assertThat(drill.get(0).at("/labels/replica").isMissingNode()).isTrue();
    }
    settle("prometheus-0");
    assertThat(firing("HaDrillOnce")).as("webhook notifications").hasSize(1);
    assertThat(pages("HaDrillOnce")).as("pages").hasSize(1);
  }

  @Test
  @Order(2)
  void theWatchdogOfEachReplicaReachesTheDeadMansSwitch() {
    for (String replica : List.of("prometheus-0", "prometheus-1")) {
      JsonNode heartbeat =
          deadMansSwitch.await(
              n -> n.at("/groupLabels/watchdog_replica").asString().equals(replica),
              WAIT,
              "a heartbeat from " + replica);
      assertThat(heartbeat.get("alerts")).hasSize(1);
      assertThat(heartbeat.at("/alerts/0/labels/alertname").asString()).isEqualTo("Watchdog");
      assertThat(heartbeat.at("/alerts/0/labels/replica").isMissingNode()).isTrue();
    }
    assertThat(smtp.mails()).noneMatch(m -> m.text().contains("Watchdog"));
  }

  @Test
  @Order(3)
  void aSilenceCreatedThroughOneAlertmanagerSilencesTheAlertOnTheOthers() {
    Instant now = Instant.now();
    String id =
        alertmanagers[1].silence(
            "{\"matchers\":[{\"name\":\"alertname\",\"value\":\"HaDrillSilenced\","
                + "\"isRegex\":false,\"isEqual\":true}],\"startsAt\":\""
                + now
                + "\",\"endsAt\":\""
                + now.plusSeconds(3600)
                + "\",\"createdBy\":\"HaStackIT\",\"comment\":\"drill\"}");
    long created = System.nanoTime();
    await(
        () -> {
          for (AlertmanagerProcess alertmanager : alertmanagers) {
            boolean known = false;
            for (JsonNode silence : alertmanager.get("/api/v2/silences")) {
              known |=
                  silence.get("id").asString().equals(id)
                      && silence.at("/status/state").asString().equals("active");
            }
            if (!known) {
              return false;
            }
          }
          return true;
        },
        WAIT,
        "the silence on every Alertmanager");
    report.add(
        "silence gossiped to all three Alertmanagers in "
            + Duration.ofNanos(System.nanoTime() - created).toMillis()
            + " ms");
    fire("Silenced");
    await(
        () -> {
          for (AlertmanagerProcess alertmanager : alertmanagers) {
            boolean suppressed = false;
            for (JsonNode alert : alertmanager.alerts()) {
              suppressed |=
                  alert.at("/labels/alertname").asString().equals("HaDrillSilenced")
                      && alert.at("/status/state").asString().equals("suppressed")
                      && alert.at("/status/silencedBy").toString().contains(id);
            }
            if (!suppressed) {
              return false;
            }
          }
          return true;
        },
        WAIT,
        "HaDrillSilenced silenced on every Alertmanager");
    settle("prometheus-0");
    assertThat(firing("HaDrillSilenced")).isEmpty();
    assertThat(pages("HaDrillSilenced")).isEmpty();
  }

  @Test
  @Order(4)
  void anAlertmanagerKilledWithANotificationInFlightDeliversItAndTheClusterReforms()
      throws Exception {
    // The member that sends first: position 0, its name first among the peers' names.
    int sender = 0;
    String first = null;
    for (int i = 0; i < 3; i++) {
      String name = alertmanagers[i].get("/api/v2/status").at("/cluster/name").asString();
      if (first == null || name.compareTo(first) < 0) {
        first = name;
        sender = i;
      }
    }
    webhook.hold(n -> names(n, "HaDrillInFlight"));
    fire("InFlight");
    await(() -> !webhook.held().isEmpty(), WAIT, "HaDrillInFlight in flight to the webhook");
    long killed = System.nanoTime();
    alertmanagers[sender].kill();
    webhook.release();
    JsonNode delivered =
        webhook.await(n -> names(n, "HaDrillInFlight"), WAIT, "HaDrillInFlight delivered");
    long deliveredAfter = Duration.ofNanos(System.nanoTime() - killed).toMillis();
    assertThat(delivered.get("status").asString()).isEqualTo("firing");
    smtp.await(m -> !pages("HaDrillInFlight").isEmpty(), WAIT, "HaDrillInFlight paged");

    Path dir = alertmanagers[sender].directory();
    long restarted = System.nanoTime();
    alertmanagers[sender] = startAlertmanager(sender, dir);
    awaitCluster(Duration.ofSeconds(60));
    long reformed = Duration.ofNanos(System.nanoTime() - restarted).toMillis();
    settle("prometheus-0");
    report.add(
        "Alertmanager "
            + sender
            + " killed mid-notification: webhook delivered by a peer "
            + deliveredAfter
            + " ms after the kill; copies that reached the webhook: "
            + (webhook.held().size() + firing("HaDrillInFlight").size())
            + " (one unanswered before the kill); pages: "
            + pages("HaDrillInFlight").size()
            + "; cluster of three again "
            + reformed
            + " ms after the restart");
    // At least once: Alertmanager's promise. The unanswered copy does not count as delivered.
    assertThat(firing("HaDrillInFlight")).isNotEmpty();
    assertThat(pages("HaDrillInFlight")).isNotEmpty();
    // The silence of order 3 survived on the restarted member (its own snapshot, or gossip).
    assertThat(alertmanagers[sender].get("/api/v2/silences").toString())
        .contains("HaDrillSilenced");
  }

  @Test
  @Order(5)
  void aReplicaKilledLosesNoPageAndNoSampleAndItsWatchdogStops() throws Exception {
    double start = System.currentTimeMillis() / 1000.0;
    // The store has both replicas' samples of the API's up before the kill.
    await(() -> samples("up{job=\"ktrdr-api\"}", start - 10, 10).size() >= 5, WAIT, "samples");
    long killed = System.nanoTime();
    double killedAt = System.currentTimeMillis() / 1000.0;
    replicas[1].kill();

    fire("Failover");
    webhook.await(n -> names(n, "HaDrillFailover"), WAIT, "HaDrillFailover at the webhook");
    smtp.await(m -> !pages("HaDrillFailover").isEmpty(), WAIT, "HaDrillFailover paged");
    long pagedAfter = Duration.ofNanos(System.nanoTime() - killed).toMillis();

    // The dead replica's Watchdog expires (4 x the 1 s resend delay) and its heartbeat stops,
    // while the other replica's goes on: the dead man's switch of prometheus-1 would page.
    await(
        () -> {
          for (JsonNode alert : alertmanagers[0].alerts()) {
            if (alert.at("/labels/watchdog_replica").asString().equals("prometheus-1")
                && alert.at("/status/state").asString().equals("active")) {
              return false;
            }
          }
          return true;
        },
        WAIT,
        "prometheus-1's Watchdog expired");
    long silentAfter = Duration.ofNanos(System.nanoTime() - killed).toMillis();
    // Members at positions 1 and 2 may still send a heartbeat they saw due before the expiry.
    settle("prometheus-0");
    long lastOfDead = heartbeats("prometheus-1");
    settle("prometheus-0");
    assertThat(heartbeats("prometheus-1"))
        .as("heartbeats of the dead replica while the other's go on")
        .isEqualTo(lastOfDead);
    assertThat(firing("HaDrillFailover")).hasSize(1);
    assertThat(pages("HaDrillFailover")).hasSize(1);

    long restarted = System.nanoTime();
    double restartedAt = System.currentTimeMillis() / 1000.0;
    replicas[1] = startReplica(1);
    await(() -> heartbeats("prometheus-1") > lastOfDead, WAIT, "prometheus-1's heartbeat again");
    long beatingAfter = Duration.ofNanos(System.nanoTime() - restarted).toMillis();
    replicas[1].awaitQuery(
        "up{job=~\"ktrdr-.*\"} == 1", result -> result.size() == 3, Duration.ofSeconds(30));
    // Both replicas write again: the store's series spans the kill and the restart.
    double end = System.currentTimeMillis() / 1000.0 + 3;
    await(
        () -> {
          List<double[]> s = samples("up{job=\"ktrdr-api\"}", end, end - start);
          return !s.isEmpty() && s.get(s.size() - 1)[0] >= end - 3;
        },
        WAIT,
        "the store caught up");
    List<double[]> up = samples("up{job=\"ktrdr-api\"}", end, end - start);
    double largestGap = 0;
    for (int i = 1; i < up.size(); i++) {
      largestGap = Math.max(largestGap, up.get(i)[0] - up.get(i - 1)[0]);
    }
    double span = up.get(up.size() - 1)[0] - up.get(0)[0];
    report.add(
        "Prometheus replica 1 killed: pages "
            + firing("HaDrillFailover").size()
            + " (paged "
            + pagedAfter
            + " ms after the kill); its heartbeat stopped "
            + silentAfter
            + " ms after the kill and came back "
            + beatingAfter
            + " ms after the restart; store: "
            + up.size()
            + " samples of up{job=\"ktrdr-api\"} over "
            + Math.round(span)
            + " s (kill at +"
            + Math.round(killedAt - start)
            + " s, restart at +"
            + Math.round(restartedAt - start)
            + " s), largest gap "
            + Math.round(largestGap * 1000)
            + " ms");
    assertThat(span)
        .as("the series spans the kill and the restart")
        .isGreaterThan(end - 3 - start - 2);
    assertThat(largestGap)
        .as("no gap at the %s s scrape interval: %s", INTERVAL_SECONDS, render(up))
        // Deduplication keeps one sample per interval from either replica: two neighbours can be
        // up to two intervals apart (the first of one interval, the last of the next); a missed
        // scrape of both would make it three.
        .isLessThan(3.0 * INTERVAL_SECONDS);
    // Deduplicated: about one sample per interval, not one per replica and interval.
    assertThat((double) up.size()).isLessThan(span / INTERVAL_SECONDS * 1.3 + 2);
    assertThat(up).allSatisfy(sample -> assertThat(sample[1]).isEqualTo(1.0));
  }

  @Test
  @Order(6)
  void theStoreAnswersEveryDashboardQueryWithOneSeriesPerTarget() {
    Map<String, String> variables = new HashMap<>(DashboardQueries.GRAFANA_VARIABLES);
    double now = System.currentTimeMillis() / 1000.0;
    // Nothing stored carries the replica label; each target is one series, not one per replica.
    assertThat(store.query("count({replica=~\".+\"})", now)).isEmpty();
    JsonNode perTarget = store.query("count by (job, instance) (up)", now);
    assertThat(perTarget).hasSizeGreaterThanOrEqualTo(8);
    for (JsonNode series : perTarget) {
      assertThat(series.at("/value/1").asString()).as(series.toString()).isEqualTo("1");
    }
    assertThat(store.query("sum(up{job=~\"ktrdr-.*\"})", now).at("/0/value/1").asString())
        .isEqualTo("3");
    List<DashboardQueries.PanelQuery> panels = DashboardQueries.panels();
    assertThat(panels).hasSizeGreaterThan(30);
    List<String> empty = new ArrayList<>();
    for (DashboardQueries.PanelQuery panel : panels) {
      JsonNode result = store.query(DashboardQueries.substitute(panel.expr(), variables), now);
      if (!panel.mayBeEmpty() && !DashboardQueries.hasFiniteValue(result)) {
        empty.add(panel.panel() + ": " + panel.expr());
      }
      // The same series as one replica holds: a replica label would double them.
      JsonNode local = replicas[0].query(DashboardQueries.substitute(panel.expr(), variables));
      assertThat(result.size())
          .as("%s: series from the store vs one replica", panel.panel())
          .isLessThanOrEqualTo(local.size());
    }
    assertThat(empty).as("panels without data from the store").isEmpty();
  }

  @Test
  @Order(7)
  void aForeignTargetChangesNoPanelAndNoRecordedSeriesReadFromTheStore() {
    String exclude = "instance!=\"" + foreign.address() + "\"";
    double time = System.currentTimeMillis() / 1000.0 - 2;
    assertThat(store.query("up{job=\"foreign-otel-service\"}", time)).hasSize(1);
    String unscoped = "sum(rate(http_server_request_duration_seconds_count[2m]))";
    assertThat(values(store.query(unscoped, time)))
        .as("an unscoped query does change: the check has teeth")
        .isNotEqualTo(values(store.query(PromQl.addMatcher(unscoped, exclude), time)));
    // The rules run in the replicas (StackIT checks their expressions there, some use functions
    // VictoriaMetrics 1.79 lacks); what they wrote to the store carries no foreign series.
    assertThat(store.query("{__name__=~\".+:.+|ALERTS\", job=\"foreign-otel-service\"}", time))
        .isEmpty();
    assertThat(store.query("{__name__=~\".+:.+\"}", time)).isNotEmpty();
    List<String> checked = new ArrayList<>();
    for (DashboardQueries.PanelQuery panel : DashboardQueries.panels()) {
      Map<Map<String, String>, String> with = values(store.query(panel.expr(), time));
      Map<Map<String, String>, String> without =
          values(store.query(PromQl.addMatcher(panel.expr(), exclude), time));
      String what = "panel " + panel.panel() + ": " + panel.expr();
      assertThat(with.keySet()).as(what).isEqualTo(without.keySet());
      // To 1e-9 relative: the same samples summed in another order differ in the last digit.
      with.forEach(
          (labels, value) -> {
            if (!value.equals(without.get(labels))) {
              assertThat(Double.parseDouble(value))
                  .as("%s %s", what, labels)
                  .isCloseTo(
                      Double.parseDouble(without.get(labels)),
                      org.assertj.core.data.Offset.offset(
                          Math.abs(Double.parseDouble(value)) * 1e-9 + 1e-12));
            }
          });
      checked.add(panel.panel());
    }
    assertThat(checked).hasSizeGreaterThan(30);
  }

  /** A query result as label set to value. */
  private static Map<Map<String, String>, String> values(JsonNode result) {
    Map<Map<String, String>, String> values = new HashMap<>();
    List<Map<String, String>> labels = PrometheusProcess.labels(result);
    for (int i = 0; i < result.size(); i++) {
      values.put(labels.get(i), result.get(i).at("/value/1").asString());
    }
    return values;
  }

  /** The store's raw samples of {@code selector} over {@code window} seconds before {@code at}. */
  private static List<double[]> samples(String selector, double at, double window) {
    JsonNode result = store.query(selector + "[" + Math.max(1, Math.round(window)) + "s]", at);
    if (result.isEmpty()) {
      return List.of();
    }
    assertThat(result).as("one series for %s", selector).hasSize(1);
    List<double[]> points = new ArrayList<>();
    for (JsonNode point : result.get(0).get("values")) {
      points.add(
          new double[] {point.get(0).asDouble(), Double.parseDouble(point.get(1).asString())});
    }
    return points;
  }

  private static String render(List<double[]> points) {
    return points.stream()
        .map(p -> String.format("%.3f", p[0]))
        .collect(Collectors.joining(" ", "[", "]"));
  }
}
