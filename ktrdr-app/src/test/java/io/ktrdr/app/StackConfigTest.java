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
            "prometheus",
            "alertmanager",
            "grafana");
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
  void prodOverrideTurnsAnonymousGrafanaOff() {
    JsonNode grafana = Repo.yaml("compose.prod.yaml").at("/services/grafana/environment");
    assertThat(grafana.get("GF_AUTH_ANONYMOUS_ENABLED").asString()).isEqualTo("false");
    assertThat(
            Repo.yaml("compose.yaml")
                .at("/services/grafana/environment/GF_AUTH_ANONYMOUS_ORG_ROLE")
                .asString())
        .isEqualTo("${GRAFANA_ANONYMOUS_ROLE:-Editor}");
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
        .contains(datasources.get(1).at("/jsonData/tracesToMetrics/datasourceUid").asString());
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
    JsonNode groups = Repo.yaml("prometheus/rules/ktrdr-alerts.rules.yml").get("groups");
    String runbooks = Repo.text("docs/alerts.md");
    Set<String> anchors = new HashSet<>();
    Matcher heading = Pattern.compile("(?m)^## (\\S+)").matcher(runbooks);
    while (heading.find()) {
      anchors.add(heading.group(1).toLowerCase(Locale.ROOT));
    }
    JsonNode tests = Repo.yaml("prometheus/rules/ktrdr-alerts_test.yml").get("tests");
    List<String> alerts = new ArrayList<>();
    for (JsonNode group : groups) {
      for (JsonNode rule : group.get("rules")) {
        String alert = rule.get("alert").asString();
        alerts.add(alert);
        assertThat(rule.at("/labels/severity").asString()).as(alert).isIn("critical", "warning");
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
          for (JsonNode check : test.get("alert_rule_test")) {
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
        assertThat(quiet).as("%s is tested not firing", alert).isTrue();
      }
    }
    assertThat(alerts).hasSize(13);
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
  }
}
