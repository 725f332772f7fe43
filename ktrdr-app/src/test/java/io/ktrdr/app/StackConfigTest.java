package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.Repo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * What only Docker could prove end to end, checked structurally: compose services, dashboards,
 * datasources, alerts and their runbooks. (The queries themselves are evaluated in a real
 * Prometheus by StackIT.)
 */
class StackConfigTest {

  private static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> result = new ArrayList<>();
    for (JsonNode panel : dashboard.get("panels")) {
      if (!panel.get("type").asString().equals("row")) {
        result.add(panel);
      }
    }
    return result;
  }

  @Test
  void composeServicesAreHealthCheckedPinnedAndLocal() {
    JsonNode services = Repo.yaml("compose.yaml").get("services");
    assertThat(services.propertyNames())
        .containsExactlyInAnyOrder(
            "backend",
            "backtest-worker",
            "training-worker",
            "postgres",
            "jaeger",
            "loki",
            "prometheus",
            "alertmanager",
            "mailpit",
            "victoriametrics",
            "grafana",
            // Profile ha.
            "prometheus-1",
            "alertmanager-1",
            "alertmanager-2");
    for (Map.Entry<String, JsonNode> entry : services.properties()) {
      String name = entry.getKey();
      JsonNode service = entry.getValue();
      assertThat(service.has("healthcheck")).as("%s has a health check", name).isTrue();
      assertThat(service.at("/healthcheck/test").get(0).asString()).as(name).isEqualTo("CMD");
      String image = service.get("image").asString();
      assertThat(image)
          .as("%s image pinned", name)
          .matches("[a-z0-9./-]+:v?[0-9][\\w.-]*")
          .doesNotEndWith(":latest");
      for (JsonNode port : service.path("ports")) {
        assertThat(port.asString()).as("%s port bound to loopback", name).startsWith("127.0.0.1:");
      }
      for (JsonNode volume : service.path("volumes")) {
        String source = volume.asString().split(":")[0];
        if (source.startsWith("./")) {
          assertThat(Repo.path(source.substring(2))).as("%s mounts %s", name, source).exists();
        }
      }
      for (JsonNode dependency : service.path("depends_on")) {
        assertThat(dependency.get("condition").asString()).as(name).isEqualTo("service_healthy");
      }
      assertThat(service.at("/deploy/resources/limits/cpus").asString())
          .as("%s has a CPU limit", name)
          .matches("[0-9.]+");
      assertThat(service.at("/deploy/resources/limits/memory").asString())
          .as("%s has a memory limit", name)
          .matches("[0-9]+[MG]");
      assertThat(service.get("networks").get(0).asString()).isEqualTo("ktrdr");
    }
    assertThat(Repo.yaml("compose.yaml").get("volumes").propertyNames())
        .contains("prometheus-data", "grafana-data");
    String prometheusFlags = services.at("/prometheus/command").toString();
    assertThat(prometheusFlags).contains("--enable-feature=exemplar-storage", "retention.time");
    assertThat(Repo.text("compose.yaml"))
        .as("no YAML anchors: explicit is easier to operate")
        .doesNotContain("<<:");
    assertThat(services.at("/backend/build").asString()).isEqualTo(".");
    assertThat(Repo.path("Dockerfile")).exists();
    assertThat(Repo.text("Dockerfile")).contains("USER 10001").contains("./mvnw").contains("-jre");
  }

  @Test
  void prodOverrideTurnsAnonymousGrafanaOffAndAppliesThePasswordToAnExistingVolume() {
    JsonNode grafana = Repo.yaml("compose.prod.yaml").at("/services/grafana");
    assertThat(grafana.at("/environment/GF_AUTH_ANONYMOUS_ENABLED").asString()).isEqualTo("false");
    assertThat(grafana.at("/environment/GF_SECURITY_ADMIN_PASSWORD__FILE").asString())
        .isEqualTo("/run/secrets/grafana_admin_password");
    String entrypoint = grafana.get("entrypoint").toString();
    assertThat(entrypoint)
        .contains("admin reset-admin-password --password-from-stdin")
        .contains("< /run/secrets/grafana_admin_password")
        .contains("exec /run.sh");
  }

  @Test
  void anonymousGrafanaUsersAreViewers() {
    JsonNode environment = Repo.yaml("compose.yaml").at("/services/grafana/environment");
    assertThat(environment.get("GF_AUTH_ANONYMOUS_ORG_ROLE").asString()).isEqualTo("Viewer");
    assertThat(environment.get("GF_SERVER_ROOT_URL").asString()).contains("http");
  }

  @Test
  void healthChecksStartNoJvmAndNothingWaitsForTheTracingBackend() {
    JsonNode services = Repo.yaml("compose.yaml").get("services");
    for (Map.Entry<String, JsonNode> entry : services.properties()) {
      String test = entry.getValue().at("/healthcheck/test").toString();
      assertThat(test).as("%s health check", entry.getKey()).doesNotContain("java");
      assertThat(entry.getValue().path("depends_on").has("jaeger"))
          .as("%s must not depend on the tracing backend", entry.getKey())
          .isFalse();
      assertThat(entry.getValue().path("depends_on").has("loki"))
          .as("%s must not depend on the log store", entry.getKey())
          .isFalse();
    }
    for (String app : APP_SERVICES) {
      assertThat(services.at("/" + app + "/healthcheck/test/1").asString()).isEqualTo("bash");
      assertThat(services.at("/" + app + "/healthcheck/test/3").asString())
          .contains("/dev/tcp/127.0.0.1/");
    }
    // The command itself runs against a real app in StackIT.
  }

  private static final List<String> APP_SERVICES =
      List.of("backend", "backtest-worker", "training-worker");

  @Test
  void appsGetMoreTimeToStopThanTheirShutdownTakes() {
    // The app stops its server, then flushes telemetry for up to shutdownTimeout (default 10 s,
    // KtrdrTelemetryBuilder); Docker's default grace period is 10 s.
    JsonNode services = Repo.yaml("compose.yaml").get("services");
    for (String app : APP_SERVICES) {
      String grace = services.at("/" + app + "/stop_grace_period").asString();
      assertThat(grace).as(app).matches("[0-9]+s");
      assertThat(Integer.parseInt(grace.replace("s", ""))).as(app).isGreaterThanOrEqualTo(20);
    }
  }

  @Test
  void prometheusAndAlertmanagerHaveNoLifecycleApiAndKnowTheirExternalUrl() {
    JsonNode services = Repo.yaml("compose.yaml").get("services");
    String prometheus = services.at("/prometheus/command").toString();
    assertThat(prometheus).doesNotContain("enable-lifecycle").contains("--web.external-url=");
    assertThat(services.at("/alertmanager/command").toString()).contains("--web.external-url=");
  }

  @Test
  void compatibilityRulesAreOptIn() {
    assertThat(Repo.files("prometheus/rules", ".yml"))
        .noneMatch(p -> p.getFileName().toString().startsWith("compat"));
    assertThat(Repo.path("prometheus/compat/compat-python.rules.yml")).exists();
    for (String file :
        new String[] {"prometheus/prometheus.yml", "prometheus/prometheus.local.yml"}) {
      assertThat(Repo.yaml(file).get("rule_files").toString()).doesNotContain("compat");
    }
    assertThat(Repo.yaml("compose.yaml").at("/services/prometheus/volumes").toString())
        .doesNotContain("compat");
    assertThat(Repo.text("compose.yaml"))
        .as("the opt-in line is there, commented")
        .contains("# - ./prometheus/compat/compat-python.rules.yml:");
  }

  @Test
  void workersScaleWithoutEditingTheScrapeConfiguration() {
    JsonNode services = Repo.yaml("compose.yaml").get("services");
    for (String worker : List.of("backtest-worker", "training-worker")) {
      JsonNode service = services.get(worker);
      assertThat(service.has("ports")).as("%s publishes no fixed host port", worker).isFalse();
      assertThat(service.at("/environment/KTRDR_WORKER_ID").isMissingNode()).isTrue();
      assertThat(service.get("entrypoint").toString())
          .as("each replica names itself and registers its own address")
          .contains("KTRDR_WORKER_ID=", "$$(hostname)", "KTRDR_WORKER_URL=", "$$(hostname -i");
    }
    JsonNode workers = job(Repo.yaml("prometheus/prometheus.yml"), "ktrdr-workers");
    assertThat(workers.has("static_configs")).isFalse();
    assertThat(workers.at("/http_sd_configs/0/url").asString())
        .isEqualTo("http://backend:8000/api/v1/workers/targets");
  }

  @Test
  void theNoWorkersAlertPagesOnlyForDeployedWorkerTypes() throws Exception {
    String expr = "";
    for (JsonNode group : Repo.yaml("prometheus/rules/ktrdr-alerts.rules.yml").get("groups")) {
      for (JsonNode rule : group.get("rules")) {
        if (rule.path("alert").asString().equals("KtrdrNoWorkersAvailable")) {
          expr = rule.get("expr").asString();
        }
      }
    }
    assertThat(expr).contains("max_over_time(ktrdr_workers_registered");
    // Compose deploys both types, each of which must then have had a worker (promtool test
    // "no workers of a type that was never deployed" shows the undeployed type staying quiet).
    JsonNode services = Repo.yaml("compose.yaml").get("services");
    Set<String> deployed = new HashSet<>();
    services.forEach(s -> deployed.add(s.at("/environment/KTRDR_WORKER_TYPE").asString()));
    assertThat(deployed).contains("backtesting", "training");
  }

  @Test
  void prometheusIngestsNativeHistogramsAndKeepsTheClassicBuckets() {
    List<String> command = new ArrayList<>();
    Repo.yaml("compose.yaml")
        .at("/services/prometheus/command")
        .forEach(c -> command.add(c.asString()));
    assertThat(command).contains("--enable-feature=native-histograms");
    for (String file :
        List.of("prometheus/prometheus.yml", "prometheus/prometheus.long-term.yml")) {
      for (JsonNode job : Repo.yaml(file).get("scrape_configs")) {
        String name = job.get("job_name").asString();
        if (name.startsWith("ktrdr-")) {
          assertThat(job.path("always_scrape_classic_histograms").asBoolean(false))
              .as("%s: %s keeps classic buckets", file, name)
              .isTrue();
        }
      }
    }
  }

  @Test
  void theLongTermProfileRemoteWritesToVictoriaMetricsWithTheSameScrapes() {
    JsonNode services = Repo.yaml("compose.yaml").get("services");
    assertThat(services.at("/victoriametrics/profiles/0").asString()).isEqualTo("long-term");
    assertThat(services.at("/prometheus/command/0").asString())
        .isEqualTo("--config.file=/etc/prometheus/${PROMETHEUS_CONFIG:-prometheus.yml}");
    JsonNode plain = Repo.yaml("prometheus/prometheus.yml");
    JsonNode longTerm = Repo.yaml("prometheus/prometheus.long-term.yml");
    assertThat(longTerm.at("/remote_write/0/url").asString())
        .isEqualTo("http://victoriametrics:8428/api/v1/write");
    for (String key : List.of("global", "rule_files", "alerting", "scrape_configs")) {
      assertThat(longTerm.get(key)).as(key).isEqualTo(plain.get(key));
    }
    assertThat(plain.has("remote_write")).isFalse();
    JsonNode datasources =
        Repo.yaml("grafana-provisioning/datasources/datasources.yml").get("datasources");
    assertThat(datasource(datasources, "victoriametrics").get("url").asString())
        .isEqualTo("http://victoriametrics:8428");
    assertThat(datasource(datasources, "victoriametrics").get("type").asString())
        .isEqualTo("prometheus");
  }

  @Test
  void protectedMetricsScrapeConfigurationIsShippedForBothKtrdrJobs() {
    // scripts/run.sh enables these lines when /metrics is protected (RunScriptIT scrapes with
    // them).
    JsonNode local = Repo.yaml("prometheus/prometheus.local.yml");
    String template = Repo.text("prometheus/prometheus.local.yml");
    assertThat(template.split("#auth   credentials_file: METRICS_TOKEN_FILE", -1)).hasSize(3);
    assertThat(job(local, "ktrdr-workers").at("/http_sd_configs/0/url").asString())
        .isEqualTo("http://127.0.0.1:8000/api/v1/workers/targets");
    assertThat(Repo.text("prometheus/prometheus.yml").split("credentials_file:", -1)).hasSize(3);
  }

  @Test
  void theHaProfilePairsTwoReplicasWithThreeClusteredAlertmanagersAndADeduplicatingStore() {
    JsonNode services = Repo.yaml("compose.yaml").get("services");
    List<String> ha = new ArrayList<>();
    services
        .properties()
        .forEach(
            e -> {
              if (e.getValue().path("profiles").toString().contains("\"ha\"")) {
                ha.add(e.getKey());
              }
            });
    assertThat(ha)
        .containsExactlyInAnyOrder(
            "prometheus-1", "alertmanager-1", "alertmanager-2", "victoriametrics");
    // The default profile is what it was: its services have no profile and no cluster flags.
    for (String service : List.of("prometheus", "alertmanager", "grafana")) {
      assertThat(services.get(service).has("profiles")).as(service).isFalse();
    }
    assertThat(services.at("/alertmanager/command").toString()).doesNotContain("cluster");

    // compose.ha.env makes the default prometheus replica 0 and Grafana read the store.
    Map<String, String> env = new java.util.HashMap<>();
    for (String line : Repo.text("compose.ha.env").split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        env.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
      }
    }
    assertThat(env)
        .containsEntry("PROMETHEUS_CONFIG", "ha/prometheus-0.yml")
        .containsEntry("KTRDR_GRAFANA_METRICS_URL", "http://victoriametrics:8428");
    assertThat(services.at("/prometheus/volumes").toString())
        .contains("./prometheus/ha:/etc/prometheus/ha:ro");
    assertThat(services.at("/prometheus-1/command/0").asString())
        .isEqualTo("--config.file=/etc/prometheus/ha/prometheus-1.yml");
    assertThat(services.at("/grafana/environment/KTRDR_GRAFANA_METRICS_URL").asString())
        .isEqualTo("${KTRDR_GRAFANA_METRICS_URL:-http://prometheus:9090}");
    JsonNode datasources =
        Repo.yaml("grafana-provisioning/datasources/datasources.yml").get("datasources");
    assertThat(datasource(datasources, "prometheus").get("url").asString())
        .isEqualTo("${KTRDR_GRAFANA_METRICS_URL}");

    // Two replicas that differ only by the replica label, which neither alerts nor samples keep.
    String zero = Repo.text("prometheus/ha/prometheus-0.yml");
    String one = Repo.text("prometheus/ha/prometheus-1.yml");
    assertThat(withoutComments(one).replace("replica: prometheus-1", "replica: prometheus-0"))
        .isEqualTo(withoutComments(zero));
    JsonNode replica0 = Repo.yaml("prometheus/ha/prometheus-0.yml");
    JsonNode replica1 = Repo.yaml("prometheus/ha/prometheus-1.yml");
    assertThat(replica0.at("/global/external_labels/replica").asString()).isEqualTo("prometheus-0");
    assertThat(replica1.at("/global/external_labels/replica").asString()).isEqualTo("prometheus-1");
    JsonNode relabel = replica0.at("/alerting/alert_relabel_configs");
    JsonNode last = relabel.get(relabel.size() - 1);
    assertThat(last.get("action").asString()).isEqualTo("labeldrop");
    assertThat(last.get("regex").asString()).isEqualTo("replica");
    assertThat(replica0.at("/remote_write/0/url").asString())
        .isEqualTo("http://victoriametrics:8428/api/v1/write");
    assertThat(replica0.at("/remote_write/0/write_relabel_configs/0/regex").asString())
        .isEqualTo("replica");

    // Every Alertmanager in each replica, each one by name (no load balancer).
    List<String> alertmanagers = new ArrayList<>();
    replica0
        .at("/alerting/alertmanagers/0/static_configs/0/targets")
        .forEach(t -> alertmanagers.add(t.asString()));
    assertThat(alertmanagers)
        .containsExactlyInAnyOrder(
            "alertmanager:9093", "alertmanager-1:9093", "alertmanager-2:9093");
    for (String name : List.of("alertmanager-1", "alertmanager-2")) {
      List<String> peers = new ArrayList<>();
      services.at("/" + name + "/command").forEach(c -> peers.add(c.asString()));
      List<String> expected = new ArrayList<>();
      for (String other : List.of("alertmanager", "alertmanager-1", "alertmanager-2")) {
        if (!other.equals(name)) {
          expected.add("--cluster.peer=" + other + ":9094");
        }
      }
      assertThat(peers)
          .as(name)
          .containsAll(expected)
          .contains("--cluster.listen-address=0.0.0.0:9094");
    }

    // The same scrapes as the single Prometheus, the stack's own jobs naming every member.
    JsonNode single = Repo.yaml("prometheus/prometheus.yml");
    for (String name : List.of("ktrdr-api", "ktrdr-workers", "jaeger", "grafana")) {
      assertThat(job(replica0, name)).as(name).isEqualTo(job(single, name));
    }
    assertThat(job(replica0, "prometheus").at("/static_configs/0/targets").toString())
        .isEqualTo("[\"prometheus:9090\",\"prometheus-1:9090\"]");
    assertThat(replica0.get("rule_files").get(0).asString()).isEqualTo("../rules/*.rules.yml");

    // The store deduplicates at the replicas' scrape interval.
    assertThat(services.at("/victoriametrics/command").toString())
        .contains("-dedup.minScrapeInterval=" + replica0.at("/global/scrape_interval").asString());
    // The dead man's switch gets one heartbeat per replica.
    JsonNode watchdog = Repo.yaml("prometheus/alertmanager.yml").at("/route/routes/0");
    assertThat(watchdog.at("/matchers/0").asString()).isEqualTo("alertname=\"Watchdog\"");
    assertThat(watchdog.get("group_by").toString()).contains("watchdog_replica");
  }

  @Test
  void theShardTemplateKeepsEachWorkerOnOneShardAndStoresNoShardLabel() {
    JsonNode shard = Repo.yaml("prometheus/shards/prometheus-shard.yml");
    JsonNode workers = job(shard, "ktrdr-workers");
    assertThat(workers.at("/relabel_configs/0/action").asString()).isEqualTo("hashmod");
    assertThat(workers.at("/relabel_configs/0/modulus").asString()).isEqualTo("SHARD_COUNT");
    assertThat(workers.at("/relabel_configs/1/action").asString()).isEqualTo("keep");
    assertThat(workers.at("/relabel_configs/1/regex").asString()).isEqualTo("SHARD_INDEX");
    assertThat(workers.at("/http_sd_configs/0/url").asString())
        .isEqualTo(
            job(Repo.yaml("prometheus/prometheus.yml"), "ktrdr-workers")
                .at("/http_sd_configs/0/url")
                .asString());
    assertThat(shard.at("/remote_write/0/write_relabel_configs/0/regex").asString())
        .isEqualTo("shard|replica");
    assertThat(shard.has("rule_files")).as("shards evaluate no rules").isFalse();
    assertThat(shard.has("alerting")).as("shards send no alerts").isFalse();
  }

  private static String withoutComments(String yaml) {
    return yaml.replaceAll("(?m)^\\s*#.*\\n", "");
  }

  private static JsonNode job(JsonNode config, String name) {
    for (JsonNode job : config.get("scrape_configs")) {
      if (job.get("job_name").asString().equals(name)) {
        return job;
      }
    }
    throw new AssertionError("no job " + name);
  }

  private static JsonNode datasource(JsonNode datasources, String uid) {
    for (JsonNode ds : datasources) {
      if (ds.get("uid").asString().equals(uid)) {
        return ds;
      }
    }
    throw new AssertionError("no datasource " + uid);
  }

  @Test
  void datasourcesHaveFixedUidsAndLinkExemplarsToTraces() {
    JsonNode datasources =
        Repo.yaml("grafana-provisioning/datasources/datasources.yml").get("datasources");
    Set<String> uids = new HashSet<>();
    datasources.forEach(ds -> uids.add(ds.get("uid").asString()));
    assertThat(uids).contains("prometheus", "jaeger");
    JsonNode prometheus = datasources.get(0);
    assertThat(prometheus.get("isDefault").asBoolean()).isTrue();
    assertThat(prometheus.at("/jsonData/exemplarTraceIdDestinations/0/name").asString())
        .isEqualTo("trace_id");
    assertThat(uids)
        .contains(
            prometheus.at("/jsonData/exemplarTraceIdDestinations/0/datasourceUid").asString());
    assertThat(uids)
        .contains(
            datasource(datasources, "jaeger")
                .at("/jsonData/tracesToMetrics/datasourceUid")
                .asString());
    JsonNode provider =
        Repo.yaml("grafana-provisioning/dashboards/dashboards.yml").at("/providers/0");
    assertThat(provider.get("folder").asString()).isEqualTo("KTRDR");
    assertThat(provider.at("/options/path").asString())
        .isEqualTo("/etc/grafana/provisioning/dashboards/json");
  }

  @Test
  void dashboardsAreWellFormed() {
    List<Path> files = Repo.files("grafana-provisioning/dashboards/json", ".json");
    assertThat(files).hasSize(4);
    Set<String> dashboardUids = new HashSet<>();
    for (Path file : files) {
      JsonNode dashboard = Repo.json(file);
      String uid = dashboard.get("uid").asString();
      assertThat(dashboardUids.add(uid)).as("unique dashboard uid %s", uid).isTrue();
      assertThat(file.getFileName().toString()).isEqualTo(uid + ".json");
      List<String> variables = new ArrayList<>();
      dashboard.at("/templating/list").forEach(v -> variables.add(v.get("name").asString()));
      assertThat(variables).as(uid).contains("datasource", "job", "instance");
      for (JsonNode variable : dashboard.at("/templating/list")) {
        if (variable.get("name").asString().equals("job")) {
          assertThat(variable.get("definition").asString())
              .as("%s: the job variable lists the KTRDR services' jobs", uid)
              .isEqualTo("label_values(target_info{service_name=~\"ktrdr-.*\"}, job)");
          assertThat(variable.path("allValue").asString(""))
              .as("%s: \"All\" means the listed jobs, not every job", uid)
              .isEmpty();
        }
      }
      Set<Integer> ids = new HashSet<>();
      for (JsonNode panel : dashboard.get("panels")) {
        assertThat(ids.add(panel.get("id").asInt()))
            .as("%s panel id %s unique", uid, panel.get("id"))
            .isTrue();
      }
      for (JsonNode panel : panels(dashboard)) {
        String title = uid + " / " + panel.get("title").asString();
        assertThat(panel.at("/fieldConfig/defaults/unit").asString())
            .as("unit of %s", title)
            .isNotBlank();
        assertThat(panel.get("description").asString()).as("description of %s", title).isNotBlank();
        assertThat(panel.at("/datasource/uid").asString()).as(title).isEqualTo("${datasource}");
        assertThat(panel.get("targets")).as(title).isNotEmpty();
        for (JsonNode target : panel.get("targets")) {
          String expr = target.get("expr").asString();
          assertThat(target.at("/datasource/uid").asString()).as(title).isEqualTo("${datasource}");
          if (expr.contains("rate(") && !expr.contains("$__range")) {
            assertThat(expr).as("%s uses $__rate_interval", title).contains("[$__rate_interval]");
          }
          assertThat(expr).as(title).doesNotContain("[5m]").doesNotContain("[1m]");
          assertThat(expr.split("\\{", -1).length - 1)
              .as("%s: every selector is scoped to $job: %s", title, expr)
              .isEqualTo(expr.split("job=~\"\\$job\"", -1).length - 1);
          assertThat(target.path("legendFormat").asString(""))
              .as("%s has a legend", title)
              .isNotBlank()
              .doesNotContain("{{{");
        }
      }
    }
    JsonNode red = Repo.json(Repo.path("grafana-provisioning/dashboards/json/ktrdr-red.json"));
    assertThat(
            panels(red).stream()
                .filter(p -> p.get("title").asString().startsWith("Latency p50"))
                .findFirst()
                .orElseThrow()
                .at("/targets/0/exemplar")
                .asBoolean())
        .isTrue();
  }

  @Test
  void everyAlertHasSeverityAnnotationsAndARunbookSectionAndIsTestedBothWays() {
    String runbooks = Repo.text("docs/alerts.md");
    Set<String> anchors = new HashSet<>();
    Matcher heading = Pattern.compile("(?m)^## (\\S+)").matcher(runbooks);
    while (heading.find()) {
      anchors.add(heading.group(1).toLowerCase(Locale.ROOT));
    }
    List<String> alerts = new ArrayList<>();
    for (String name : List.of("ktrdr-alerts", "stack-alerts")) {
      JsonNode groups = Repo.yaml("prometheus/rules/" + name + ".rules.yml").get("groups");
      JsonNode tests = Repo.yaml("prometheus/rules/" + name + "_test.yml").get("tests");
      for (JsonNode group : groups) {
        for (JsonNode rule : group.get("rules")) {
          String alert = rule.get("alert").asString();
          alerts.add(alert);
          checkAlert(rule, alert, anchors, tests);
        }
      }
    }
    assertThat(alerts)
        .hasSize(25)
        .contains("Watchdog", "KtrdrErrorLogsRising", "KtrdrDatabaseDown");
  }

  private static void checkAlert(JsonNode rule, String alert, Set<String> anchors, JsonNode tests) {
    assertThat(rule.at("/labels/severity").asString())
        .as(alert)
        .isIn(alert.equals("Watchdog") ? List.of("none") : List.of("critical", "warning"));
    assertThat(rule.at("/annotations/summary").asString()).as(alert).isNotBlank();
    assertThat(rule.at("/annotations/description").asString()).as(alert).isNotBlank();
    String runbook = rule.at("/annotations/runbook_url").asString();
    assertThat(runbook).as(alert).isEqualTo("docs/alerts.md#" + alert.toLowerCase(Locale.ROOT));
    assertThat(anchors)
        .as("docs/alerts.md has a section for %s", alert)
        .contains(alert.toLowerCase(Locale.ROOT));
    boolean fires = false;
    boolean quiet = false;
    for (JsonNode test : tests) {
      for (JsonNode check : test.path("alert_rule_test")) {
        if (check.get("alertname").asString().equals(alert)) {
          if (check.get("exp_alerts").isEmpty()) {
            quiet = true;
          } else {
            fires = true;
          }
        }
      }
    }
    assertThat(fires).as("%s is tested firing", alert).isTrue();
    assertThat(quiet || alert.equals("Watchdog")).as("%s is tested not firing", alert).isTrue();
  }

  @Test
  void configsStayWithinWhatPrometheus242Accepts() throws Exception {
    for (String file :
        new String[] {"prometheus/prometheus.yml", "prometheus/prometheus.local.yml"}) {
      String text = Files.readString(Repo.path(file));
      assertThat(text)
          .as(file)
          .doesNotContain("otlp:", "scrape_native_histograms", "scrape_protocols", "runtime:");
      JsonNode config = Repo.yaml(file);
      List<String> jobs = new ArrayList<>();
      config.get("scrape_configs").forEach(job -> jobs.add(job.get("job_name").asString()));
      assertThat(jobs).as(file).contains("ktrdr-api", "ktrdr-workers", "prometheus");
      assertThat(config.at("/global/scrape_interval").asString()).isEqualTo("15s");
    }
    List<String> dockerJobs = new ArrayList<>();
    Repo.yaml("prometheus/prometheus.yml")
        .get("scrape_configs")
        .forEach(job -> dockerJobs.add(job.get("job_name").asString()));
    assertThat(dockerJobs)
        .containsExactly(
            "ktrdr-api", "ktrdr-workers", "prometheus", "alertmanager", "jaeger", "grafana");
    assertThat(Repo.text("prometheus/prometheus.long-term.yml"))
        .doesNotContain("otlp:", "scrape_native_histograms", "scrape_protocols", "runtime:");
  }

  @Test
  void documentedCurlCommandsWithBracketsTurnCurlsGlobbingOff() {
    // Without -g, curl reads {} and [] in a URL as its own patterns ("bad range in URL").
    Pattern curl = Pattern.compile("curl ([^\\n|]*?)'(http[^']*|localhost[^']*)'");
    for (Path file : Repo.files("docs", ".md")) {
      Matcher m = curl.matcher(Repo.text("docs/" + file.getFileName()));
      while (m.find()) {
        if (m.group(2).matches(".*[\\[\\]{}].*")) {
          assertThat(m.group(1))
              .as("%s: curl %s'%s'", file.getFileName(), m.group(1), m.group(2))
              .contains("-g");
        }
      }
    }
  }

  @Test
  void composeRunsPostgresAndSharesTheClusterSecretAsADockerSecret() {
    JsonNode compose = Repo.yaml("compose.yaml");
    JsonNode services = compose.get("services");
    assertThat(compose.at("/secrets/ktrdr_cluster_secret/file").asString())
        .isEqualTo("./secrets/cluster-secret");
    for (String name : new String[] {"backend", "backtest-worker", "training-worker"}) {
      JsonNode service = services.get(name);
      assertThat(service.at("/environment/KTRDR_CLUSTER_SECRET_FILE").asString())
          .as(name)
          .isEqualTo("/run/secrets/ktrdr_cluster_secret");
      assertThat(service.get("secrets").toString()).as(name).contains("ktrdr_cluster_secret");
      assertThat(service.at("/environment/KTRDR_CLUSTER_SECRET").isMissingNode()).as(name).isTrue();
    }
    JsonNode backend = services.get("backend");
    assertThat(backend.at("/environment/KTRDR_DATABASE_URL").asString())
        .isEqualTo("jdbc:postgresql://postgres:5432/ktrdr");
    assertThat(backend.at("/environment/KTRDR_DATABASE_PASSWORD_FILE").asString())
        .isEqualTo("/run/secrets/ktrdr_db_password");
    assertThat(backend.at("/depends_on/postgres/condition").asString())
        .isEqualTo("service_healthy");
    JsonNode postgres = services.get("postgres");
    assertThat(postgres.get("image").asString()).startsWith("postgres:15.");
    assertThat(postgres.at("/environment/POSTGRES_PASSWORD_FILE").asString())
        .isEqualTo("/run/secrets/ktrdr_db_password");
    assertThat(postgres.get("volumes").get(0).asString())
        .isEqualTo("postgres-data:/var/lib/postgresql/data");
    assertThat(postgres.at("/healthcheck/test").toString()).contains("pg_isready");
    assertThat(compose.get("volumes").propertyNames()).contains("postgres-data");
  }

  @Test
  void lokiReceivesEveryServicesLogRecordsOverOtlpAndKeepsThemForTheConfiguredRetention() {
    JsonNode compose = Repo.yaml("compose.yaml");
    JsonNode loki = compose.at("/services/loki");
    assertThat(loki.get("image").asString()).startsWith("grafana/loki:3.");
    assertThat(loki.get("volumes").toString())
        .contains("./loki/loki.yaml:/etc/loki/loki.yaml:ro", "loki-data:/loki");
    assertThat(compose.get("volumes").propertyNames()).contains("loki-data");
    assertThat(loki.get("command").toString())
        .contains("-config.file=/etc/loki/loki.yaml", "-config.expand-env=true");
    assertThat(loki.at("/healthcheck/test").toString()).contains("http://127.0.0.1:3100/ready");
    assertThat(loki.at("/environment/LOKI_RETENTION_PERIOD").asString())
        .isEqualTo("${LOKI_RETENTION_PERIOD:-168h}");
    for (String app : APP_SERVICES) {
      JsonNode env = compose.at("/services/" + app + "/environment");
      assertThat(env.path("OTEL_EXPORTER_OTLP_ENDPOINT").isMissingNode())
          .as("%s: one endpoint per signal, no shared base", app)
          .isTrue();
      assertThat(env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").asString())
          .as(app)
          .isEqualTo("http://jaeger:4318/v1/traces");
      assertThat(env.get("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT").asString())
          .as(app)
          .isEqualTo("http://loki:3100/otlp/v1/logs");
      assertThat(env.get("OTEL_LOGS_EXPORTER").asString()).as(app).isEqualTo("otlp");
      assertThat(env.get("OTEL_EXPORTER_OTLP_PROTOCOL").asString())
          .as("%s: Loki's OTLP endpoint is HTTP only", app)
          .isEqualTo("http/protobuf");
      assertThat(env.get("KTRDR_LOG_FORMAT").asString())
          .as("%s still writes its lines to stdout (docker logs)", app)
          .isEqualTo("${KTRDR_LOG_FORMAT:-json}");
    }

    JsonNode config = Repo.yaml("loki/loki.yaml");
    assertThat(config.get("auth_enabled").asBoolean(true)).isFalse();
    assertThat(config.at("/schema_config/configs/0/store").asString()).isEqualTo("tsdb");
    assertThat(config.at("/schema_config/configs/0/schema").asString()).isEqualTo("v13");
    assertThat(config.at("/limits_config/allow_structured_metadata").asBoolean()).isTrue();
    assertThat(config.at("/limits_config/volume_enabled").asBoolean()).isTrue();
    assertThat(config.at("/limits_config/retention_period").asString())
        .isEqualTo("${LOKI_RETENTION_PERIOD:-168h}");
    assertThat(config.at("/compactor/retention_enabled").asBoolean())
        .as("retention_period deletes nothing unless the compactor applies it")
        .isTrue();
    assertThat(config.at("/compactor/delete_request_store").asString()).isEqualTo("filesystem");
    List<String> indexLabels = new ArrayList<>();
    config
        .at("/distributor/otlp_config/default_resource_attributes_as_index_labels")
        .forEach(a -> indexLabels.add(a.asString()));
    assertThat(indexLabels)
        .contains("service.name", "service.instance.id", "deployment.environment.name")
        .doesNotContain("service.version")
        .doesNotHaveDuplicates();
    assertThat(Repo.text("docs/logging.md"))
        .as("the retention is documented")
        .contains("LOKI_RETENTION_PERIOD");
  }

  @Test
  void logsAndTracesLinkBothWaysThroughFixedUids() {
    JsonNode datasources =
        Repo.yaml("grafana-provisioning/datasources/datasources.yml").get("datasources");
    JsonNode loki = datasource(datasources, "loki");
    assertThat(loki.get("type").asString()).isEqualTo("loki");
    assertThat(loki.get("url").asString()).isEqualTo("http://loki:3100");
    JsonNode derived = loki.at("/jsonData/derivedFields");
    assertThat(derived).hasSize(1);
    assertThat(derived.at("/0/datasourceUid").asString()).isEqualTo("jaeger");
    assertThat(derived.at("/0/matcherType").asString()).isEqualTo("label");
    assertThat(derived.at("/0/url").asString()).isEqualTo("$${__value.raw}");
    JsonNode toLogs = datasource(datasources, "jaeger").at("/jsonData/tracesToLogsV2");
    assertThat(toLogs.get("datasourceUid").asString()).isEqualTo("loki");
    assertThat(toLogs.get("customQuery").asBoolean()).isTrue();
    assertThat(toLogs.get("query").asString())
        .contains("trace_id=\"$${__span.traceId}\"", "span_id=\"$${__span.spanId}\"");
    // The applied regex and query, against real records, are LogsIT's; their grammar LogQlTest's.
  }

  @Test
  void grafanaVariablesInProvisioningAreEscapedFromEnvironmentExpansion() {
    // Grafana expands $NAME and ${NAME} from its environment in provisioning files: a query's
    // $__tags, $__rate_interval or ${__span.traceId} must be written $$ to reach the datasource.
    // Values only: comments are not expanded.
    String text =
        Repo.text("grafana-provisioning/datasources/datasources.yml")
            .replaceAll("(?m)^\\s*#.*$", "");
    Matcher unescaped = Pattern.compile("(?<!\\$)\\$(?!\\$)(\\{?__\\w+)").matcher(text);
    List<String> found = new ArrayList<>();
    while (unescaped.find()) {
      found.add(unescaped.group());
    }
    assertThat(found).as("unescaped Grafana variables").isEmpty();
    assertThat(text).contains("$$__tags", "$${__span.traceId}", "$${__value.raw}");
  }

  @Test
  void everyDashboardHasACollapsedLogsRowScopedToTheSelectedJobsServices() {
    for (Path file : Repo.files("grafana-provisioning/dashboards/json", ".json")) {
      JsonNode dashboard = Repo.json(file);
      String uid = dashboard.get("uid").asString();
      JsonNode service = null;
      for (JsonNode variable : dashboard.at("/templating/list")) {
        if (variable.get("name").asString().equals("service")) {
          service = variable;
        }
      }
      assertThat(service).as("%s has the service variable", uid).isNotNull();
      assertThat(service.get("definition").asString())
          .as("%s: the services of the selected job", uid)
          .isEqualTo(
              "label_values(target_info{job=~\"$job\", service_name=~\"ktrdr-.*\"}, service_name)");
      assertThat(service.get("includeAll").asBoolean()).isTrue();
      assertThat(service.path("allValue").asString("")).isEmpty();
      List<JsonNode> rows = new ArrayList<>();
      for (JsonNode panel : dashboard.get("panels")) {
        if (panel.get("type").asString().equals("row")
            && panel.get("title").asString().equals("Logs")) {
          rows.add(panel);
        }
      }
      assertThat(rows).as("%s has one Logs row", uid).hasSize(1);
      JsonNode row = rows.get(0);
      // Collapsed: its panels query Loki only when opened, and live inside the row.
      assertThat(row.get("collapsed").asBoolean()).isTrue();
      Set<String> types = new HashSet<>();
      Set<Integer> ids = new HashSet<>();
      dashboard.get("panels").forEach(p -> ids.add(p.get("id").asInt()));
      assertThat(row.get("panels")).isNotEmpty();
      for (JsonNode panel : row.get("panels")) {
        String title = uid + " / " + panel.get("title").asString();
        types.add(panel.get("type").asString());
        assertThat(ids.add(panel.get("id").asInt())).as("%s: unique id", title).isTrue();
        assertThat(panel.get("description").asString()).as(title).isNotBlank();
        assertThat(panel.at("/fieldConfig/defaults/unit").asString()).as(title).isNotBlank();
        assertThat(panel.at("/datasource/uid").asString()).as(title).isEqualTo("loki");
        assertThat(panel.get("targets")).as(title).isNotEmpty();
        for (JsonNode target : panel.get("targets")) {
          String expr = target.get("expr").asString();
          assertThat(target.at("/datasource/uid").asString()).as(title).isEqualTo("loki");
          assertThat(expr.split("\\{", -1).length - 1)
              .as("%s: every selector is scoped to $service: %s", title, expr)
              .isEqualTo(expr.split("\\{service_name=~\"\\$service\"\\}", -1).length - 1);
          if (expr.contains("_over_time(")) {
            assertThat(expr).as("%s: Grafana's step", title).contains("[$__auto]");
          }
        }
      }
      assertThat(types).as("%s: volume and lines", uid).contains("timeseries", "logs");
    }
  }
}
