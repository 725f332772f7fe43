package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.AlertmanagerProcess;
import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.app.testing.Repo;
import io.ktrdr.app.testing.SmtpSink;
import io.ktrdr.app.testing.WebhookReceiver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The shipped {@code prometheus/alertmanager.yml} in a real Alertmanager: alerts are posted as
 * Prometheus posts them, and the test sees which notifications reach a webhook receiver (the API's
 * copy) and an SMTP relay (the pages and tickets). Only the addresses and the group timings are
 * changed for the test; routes, receivers and inhibition rules are the shipped ones.
 */
class AlertRoutingIT {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private WebhookReceiver webhook;
  private SmtpSink smtp;
  private AlertmanagerProcess alertmanager;

  @BeforeEach
  void start() {
    webhook = WebhookReceiver.start();
    smtp = SmtpSink.start();
    alertmanager = AlertmanagerProcess.start(config(webhook.url()));
  }

  private String config(String webhookUrl) {
    String shipped = Repo.text("prometheus/alertmanager.yml");
    String config =
        shipped
            .replace("http://backend:8000/api/v1/alerts", webhookUrl)
            .replace("smtp_smarthost: 'mailpit:1025'", "smtp_smarthost: '" + smtp.address() + "'")
            // Long enough for both alerts of a POST to land in the group before its first flush.
            .replaceAll("group_wait: \\d+s", "group_wait: 2s")
            .replaceAll("group_interval: \\d+m", "group_interval: 1s");
    assertThat(config)
        .contains(webhookUrl, smtp.address())
        .doesNotContain("backend:8000", "mailpit", "group_wait: 30s", "group_interval: 5m");
    return config;
  }

  @AfterEach
  void stop() {
    alertmanager.close();
    webhook.close();
    smtp.close();
  }

  /** One alert in the v2 API's shape; {@code ended} gives it an end in the past (resolved). */
  private static String alert(Map<String, String> labels, boolean ended) {
    String labelJson =
        labels.entrySet().stream()
            .map(e -> "\"" + e.getKey() + "\":\"" + e.getValue() + "\"")
            .collect(Collectors.joining(",", "{", "}"));
    // Starting now, as Prometheus sends a newly firing alert: Alertmanager then waits group_wait
    // before the first notification (an alert that started longer ago is sent at once).
    Instant now = Instant.now();
    return "{\"labels\":"
        + labelJson
        + ",\"annotations\":{\"summary\":\"test\"},\"startsAt\":\""
        + (ended ? now.minusSeconds(5) : now)
        + "\""
        + (ended ? ",\"endsAt\":\"" + now.minusSeconds(1) + "\"" : "")
        + "}";
  }

  private void post(String... alerts) {
    alertmanager.post("[" + String.join(",", alerts) + "]");
  }

  private static List<String> alertnames(JsonNode notification) {
    List<String> names = new ArrayList<>();
    notification.get("alerts").forEach(a -> names.add(a.at("/labels/alertname").asString()));
    return names;
  }

  private static boolean names(JsonNode notification, String alertname) {
    return alertnames(notification).contains(alertname);
  }

  private List<String> delivered() {
    List<String> names = new ArrayList<>();
    webhook.notifications().forEach(n -> names.addAll(alertnames(n)));
    return names;
  }

  /** Waits until Alertmanager reports {@code alertname} suppressed by an inhibition. */
  private void awaitInhibited(String alertname) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonNode alerts = null;
    while (System.nanoTime() < deadline) {
      alerts = alertmanager.alerts();
      for (JsonNode alert : alerts) {
        if (alert.at("/labels/alertname").asString().equals(alertname)
            && alert.at("/status/state").asString().equals("suppressed")
            && !alert.at("/status/inhibitedBy").isEmpty()) {
          return;
        }
      }
      pause();
    }
    throw new AssertionError(alertname + " was not inhibited; alerts: " + alerts);
  }

  /**
   * Posts a marker alert in a group of its own and waits for its notification: every group created
   * before it has been flushed by then (same group_wait, created earlier).
   */
  private void flushEarlierGroups() {
    post(alert(Map.of("alertname", "TestMarker", "severity", "warning"), false));
    webhook.await(n -> names(n, "TestMarker"), WAIT, "the marker");
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void aCriticalInhibitsItsConsequence() {
    post(
        alert(
            Map.of(
                "alertname", "KtrdrNoWorkersAvailable",
                "severity", "critical",
                "worker_type", "training"),
            false),
        alert(
            Map.of(
                "alertname", "KtrdrWorkerDown",
                "severity", "warning",
                "job", "ktrdr-workers",
                "instance", "training-worker:5003",
                "worker_type", "training"),
            false),
        alert(
            Map.of(
                "alertname", "KtrdrErrorBudgetBurnFast",
                "severity", "critical",
                "slo", "api-availability",
                "job", "ktrdr-api"),
            false),
        alert(
            Map.of("alertname", "KtrdrHighErrorRatio", "severity", "warning", "job", "ktrdr-api"),
            false));
    awaitInhibited("KtrdrWorkerDown");
    awaitInhibited("KtrdrHighErrorRatio");
    webhook.await(n -> names(n, "KtrdrNoWorkersAvailable"), WAIT, "the critical alert");
    webhook.await(n -> names(n, "KtrdrErrorBudgetBurnFast"), WAIT, "the critical alert");
    flushEarlierGroups();
    assertThat(delivered())
        .as("consequences are inhibited")
        .doesNotContain("KtrdrWorkerDown", "KtrdrHighErrorRatio");
    // The page went to the on-call address, not through the API.
    smtp.await(
        m ->
            m.recipients().contains("oncall@ktrdr.local")
                && m.text().contains("KtrdrNoWorkersAvailable"),
        WAIT,
        "to oncall@ about KtrdrNoWorkersAvailable");
  }

  @Test
  void aCriticalAndAnUnrelatedWarningOnTheSameTargetAreBothDelivered() {
    // The fast burn pages for the API's 5xx; slow responses of another route on the same job are
    // a different problem and must still reach people.
    post(
        alert(
            Map.of(
                "alertname", "KtrdrErrorBudgetBurnFast",
                "severity", "critical",
                "slo", "api-availability",
                "job", "ktrdr-api"),
            false),
        alert(
            Map.of(
                "alertname", "KtrdrHighLatencyP95",
                "severity", "warning",
                "job", "ktrdr-api",
                "http_route", "/api/v1/data/{symbol}/{timeframe}"),
            false),
        alert(
            Map.of(
                "alertname", "KtrdrNoWorkersAvailable",
                "severity", "critical",
                "job", "ktrdr-api",
                "instance", "backend:8000",
                "worker_type", "training"),
            false),
        alert(
            Map.of(
                "alertname", "KtrdrJvmHeapHigh",
                "severity", "warning",
                "job", "ktrdr-api",
                "instance", "backend:8000"),
            false));
    webhook.await(n -> names(n, "KtrdrHighLatencyP95"), WAIT, "the unrelated latency warning");
    webhook.await(n -> names(n, "KtrdrJvmHeapHigh"), WAIT, "the unrelated heap warning");
    webhook.await(n -> names(n, "KtrdrErrorBudgetBurnFast"), WAIT, "the critical alert");
    smtp.await(
        m -> m.recipients().contains("team@ktrdr.local") && m.text().contains("KtrdrJvmHeapHigh"),
        WAIT,
        "to team@ about KtrdrJvmHeapHigh");
    smtp.await(
        m ->
            m.recipients().contains("oncall@ktrdr.local")
                && m.text().contains("KtrdrErrorBudgetBurnFast"),
        WAIT,
        "to oncall@ about KtrdrErrorBudgetBurnFast");
  }

  @Test
  void alertsOfOneGroupArriveInOneNotificationAndTheirResolutionFollows() {
    Map<String, String> first =
        Map.of(
            "alertname", "KtrdrWorkerDown",
            "severity", "warning",
            "job", "ktrdr-workers",
            "instance", "backtest-worker-1:5003",
            "worker_type", "backtesting");
    Map<String, String> second =
        Map.of(
            "alertname", "KtrdrWorkerDown",
            "severity", "warning",
            "job", "ktrdr-workers",
            "instance", "backtest-worker-2:5003",
            "worker_type", "backtesting");
    Map<String, String> otherType =
        Map.of(
            "alertname", "KtrdrWorkerDown",
            "severity", "warning",
            "job", "ktrdr-workers",
            "instance", "training-worker-1:5003",
            "worker_type", "training");
    post(alert(first, false), alert(second, false), alert(otherType, false));
    // Both backtesting workers in one notification (its group flushed after group_wait).
    webhook.await(
        n ->
            n.at("/groupLabels/worker_type").asString().equals("backtesting")
                && n.get("status").asString().equals("firing")
                && n.get("alerts").size() == 2,
        WAIT,
        "both backtesting workers in one notification");
    JsonNode training =
        webhook.await(
            n -> n.at("/groupLabels/worker_type").asString().equals("training"),
            WAIT,
            "the training group");
    assertThat(training.get("alerts")).hasSize(1);

    post(alert(first, true), alert(second, true));
    JsonNode resolved =
        webhook.await(
            n ->
                n.at("/groupLabels/worker_type").asString().equals("backtesting")
                    && n.get("status").asString().equals("resolved"),
            WAIT,
            "the backtesting group resolved");
    assertThat(resolved.get("alerts")).hasSize(2);
    resolved
        .get("alerts")
        .forEach(a -> assertThat(a.get("status").asString()).isEqualTo("resolved"));
    smtp.await(
        m -> m.recipients().contains("team@ktrdr.local") && m.text().contains("RESOLVED"),
        WAIT,
        "to team@ announcing the resolution");
  }

  @Test
  void pagesReachPeopleWhileTheApiIsDownAndTheWatchdogGoesToItsOwnReceiver() {
    alertmanager.close();
    int closedPort;
    try {
      closedPort = PrometheusProcess.freePort();
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    // The API's webhook answers nothing (the API is down): the page must still go out by mail.
    alertmanager =
        AlertmanagerProcess.start(config("http://127.0.0.1:" + closedPort + "/api/v1/alerts"));
    post(
        alert(
            Map.of(
                "alertname",
                "KtrdrApiDown",
                "severity",
                "critical",
                "job",
                "ktrdr-api",
                "instance",
                "backend:8000"),
            false),
        alert(Map.of("alertname", "Watchdog", "severity", "none"), false));
    smtp.await(
        m -> m.recipients().contains("oncall@ktrdr.local") && m.text().contains("KtrdrApiDown"),
        WAIT,
        "to oncall@ about KtrdrApiDown");
    assertThat(smtp.mails())
        .as("the Watchdog goes to the dead man's switch, not to people")
        .noneMatch(m -> m.text().contains("Watchdog"));
  }
}
