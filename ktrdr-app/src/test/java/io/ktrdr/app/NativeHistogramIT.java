package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.Cluster;
import io.ktrdr.app.testing.DashboardQueries;
import io.ktrdr.app.testing.DashboardQueries.PanelQuery;
import io.ktrdr.app.testing.DashboardQueries.RuleQuery;
import io.ktrdr.app.testing.DashboardQueries.Variable;
import io.ktrdr.app.testing.PrometheusProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The three histogram modes against a real Prometheus with native histograms off and on: the API
 * and two workers per mode, each scraped by two Prometheus servers with the repository's rules.
 * Every dashboard panel and every rule must return data in every supported combination; native
 * series must be there where Prometheus ingests them.
 */
class NativeHistogramIT {
  private static final List<String> MODES = List.of("classic", "native", "both");
  private static final String NATIVE_FLAG = "--enable-feature=native-histograms";

  private static final Map<String, Cluster> clusters = new LinkedHashMap<>();

  /** Keyed by "mode/ingestion", ingestion "classic" (flag off) or "native" (flag on). */
  private static final Map<String, PrometheusProcess> servers = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws IOException {
    for (String mode : MODES) {
      Cluster cluster =
          new Cluster(
              Map.of("KTRDR_HISTOGRAM_MODE", mode),
              Map.of("KTRDR_WORKER_HEALTH_INTERVAL_MS", "300"));
      clusters.put(mode, cluster);
      cluster.startWorker("backtest-worker-1", "backtesting", Duration.ofMillis(2));
      cluster.startWorker("training-worker-1", "training", Duration.ofMillis(2));
      for (String ingestion : List.of("classic", "native")) {
        int port = PrometheusProcess.freePort();
        String config = PrometheusProcess.localConfig(cluster.api.port(), port);
        servers.put(
            mode + "/" + ingestion,
            ingestion.equals("native")
                ? PrometheusProcess.start(port, config, NATIVE_FLAG)
                : PrometheusProcess.start(port, config));
      }
    }
    servers.forEach(
        (name, prometheus) ->
            prometheus.awaitQuery(
                "up{job=~\"ktrdr-.*\"} == 1", r -> r.size() == 3, Duration.ofSeconds(30)));
    // Two rounds of traffic a few scrapes apart: rates and quantiles need an increase between
    // two samples; errors and busy workers give the error panels data.
    clusters.values().forEach(NativeHistogramIT::driveTraffic);
    servers.forEach(
        (name, prometheus) ->
            prometheus.awaitQuery(
                "sum(ktrdr_operations_total) > 0", r -> !r.isEmpty(), Duration.ofSeconds(30)));
    clusters.values().forEach(NativeHistogramIT::driveTraffic);
    servers.forEach(
        (name, prometheus) ->
            prometheus.awaitQuery(
                "count(job:http_server_errors:ratio_rate5m > 0)"
                    + " and count(job_route:http_server_request_duration_seconds:p95_5m)",
                r -> !r.isEmpty(),
                Duration.ofSeconds(30)));
  }

  private static void driveTraffic(Cluster cluster) {
    for (int i = 0; i < 5; i++) {
      cluster.api("GET", "/api/v1/health", null);
      cluster.api("GET", "/api/v1/data/symbols", null);
      cluster.api("GET", "/api/v1/no-such-route", null);
    }
    // A slow backtest keeps the only backtesting worker busy: the next starts are answered 503.
    String slow =
        Cluster.json(
                cluster.api(
                    "POST",
                    "/api/v1/backtests/start",
                    "{\"symbol\":\"BTCUSD\",\"timeframe\":\"1h\"}"))
            .get("operation_id")
            .asString();
    for (int i = 0; i < 3; i++) {
      cluster.api("POST", "/api/v1/backtests/start", "{\"symbol\":\"SPY\"}");
    }
    cluster.awaitFinal(slow);
    String training =
        Cluster.json(cluster.api("POST", "/api/v1/trainings/start", "{\"symbol\":\"AAPL\"}"))
            .get("operation_id")
            .asString();
    cluster.awaitFinal(training);
  }

  @AfterAll
  static void stop() {
    servers.values().forEach(PrometheusProcess::close);
    clusters.values().forEach(Cluster::close);
  }

  @Test
  void nativeSeriesAreIngestedWherePrometheusAsksForThem() {
    for (String mode : List.of("native", "both")) {
      PrometheusProcess prometheus = servers.get(mode + "/native");
      assertThat(
              prometheus.single(
                  "histogram_count(sum(rate(http_server_request_duration_seconds{job=\"ktrdr-api\"}[1m])))"))
          .as("%s: native request rate", mode)
          .isPositive();
      assertThat(
              prometheus.single(
                  "histogram_sum(sum(http_server_request_duration_seconds{job=\"ktrdr-api\"}))"))
          .as("%s: native duration sum", mode)
          .isPositive();
      assertThat(
              prometheus.single(
                  "histogram_count(sum(ktrdr_operation_duration_seconds{job=~\"ktrdr-.*\"}))"))
          .as("%s: native operation durations", mode)
          .isPositive();
    }
    // Prometheus 2.42 stores only the native histogram of a histogram that has both.
    assertThat(
            servers
                .get("both/native")
                .query("http_server_request_duration_seconds_bucket{job=\"ktrdr-api\"}"))
        .isEmpty();
    // The classic mode is classic whatever Prometheus asks for.
    assertThat(
            servers
                .get("classic/native")
                .query("histogram_count(http_server_request_duration_seconds)"))
        .isEmpty();
  }

  @Test
  void aTextScrapeOfBothGetsClassicBucketsAtPowersOfTwo() {
    PrometheusProcess prometheus = servers.get("both/classic");
    assertThat(prometheus.query("histogram_count(http_server_request_duration_seconds)")).isEmpty();
    List<String> bounds = new ArrayList<>();
    for (Map<String, String> labels :
        PrometheusProcess.labels(
            prometheus.query(
                "count by (le) (http_server_request_duration_seconds_bucket{job=\"ktrdr-api\"})"))) {
      bounds.add(labels.get("le"));
    }
    // client_java writes "1.0"; Prometheus 2 keeps the label as written.
    assertThat(bounds).contains("0.00390625", "0.5", "1.0", "16.0", "+Inf").hasSize(14);
    // The classic mode keeps the semantic-convention boundaries.
    assertThat(
            servers
                .get("classic/classic")
                .query("http_server_request_duration_seconds_bucket{le=\"0.005\"}"))
        .isNotEmpty();
  }

  @Test
  void everyPanelAndRuleReturnsDataInEverySupportedCombination() {
    List<String> failures = new ArrayList<>();
    servers.forEach(
        (combination, prometheus) -> {
          if (combination.equals("native/classic")) {
            return; // unsupported: see nativeModeNeedsNativeIngestion
          }
          for (Variable variable : DashboardQueries.variables()) {
            JsonNode series =
                prometheus.api(
                    "/api/v1/series?match[]=" + PrometheusProcess.encode(variable.selector()));
            boolean found = false;
            for (JsonNode labels : series) {
              found |= labels.has(variable.label());
            }
            if (!found) {
              failures.add(combination + ": variable of " + variable.dashboard() + ": " + variable);
            }
          }
          for (PanelQuery panel : DashboardQueries.panels()) {
            if (!panel.mayBeEmpty()
                && !DashboardQueries.hasFiniteValue(prometheus.query(panel.expr()))) {
              failures.add(combination + ": panel " + panel.panel() + ": " + panel.expr());
            }
          }
          for (RuleQuery rule : DashboardQueries.rules()) {
            JsonNode result = prometheus.query(rule.expr());
            if (rule.recording() && !DashboardQueries.hasFiniteValue(result)) {
              failures.add(combination + ": rule " + rule.name() + ": " + rule.expr());
            }
          }
          JsonNode rules = prometheus.api("/api/v1/rules");
          for (JsonNode group : rules.get("groups")) {
            for (JsonNode rule : group.get("rules")) {
              if (!rule.get("health").asString().equals("ok")) {
                failures.add(combination + ": rule " + rule.get("name") + " is unhealthy");
              }
            }
          }
        });
    assertThat(failures).isEmpty();
  }

  @Test
  void theLatencyAlertsEvaluateInEverySupportedCombination() {
    // KtrdrHighLatencyP95 compares the p95 recording rule with a threshold: the rule must answer.
    servers.forEach(
        (combination, prometheus) -> {
          if (!combination.equals("native/classic")) {
            assertThat(
                    DashboardQueries.hasFiniteValue(
                        prometheus.query("job_route:http_server_request_duration_seconds:p95_5m")))
                .as("%s: p95 recording rule", combination)
                .isTrue();
          }
        });
  }

  @Test
  void nativeModeNeedsNativeIngestion() {
    // Without native histograms a text scrape of a native histogram has only the +Inf bucket:
    // counts and rates work, quantiles cannot.
    PrometheusProcess prometheus = servers.get("native/classic");
    assertThat(
            prometheus.query(
                "count by (le) (http_server_request_duration_seconds_bucket{job=\"ktrdr-api\"})"))
        .hasSize(1);
    assertThat(
            prometheus.single(
                "sum(rate(http_server_request_duration_seconds_count{job=\"ktrdr-api\"}[1m]))"))
        .isPositive();
  }
}
