package io.ktrdr.app.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.javalin.http.Context;
import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.Json;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives Alertmanager's webhook ({@code POST /api/v1/alerts}): each alert becomes one structured
 * log line (WARN when firing, INFO when resolved) and a count in {@code
 * ktrdr_alerts_received_total{alertname,severity,status}}. The bundled Alertmanager sends here, so
 * alerts are visible locally without any external account.
 *
 * <p>Bounded: at most {@link #MAX_ALERTS} alerts per payload (the body itself is capped by the
 * route); an alert name must look like a Prometheus alert name and at most {@link #MAX_NAMES}
 * distinct names become label values (later ones count as {@code other}); severity is one of a
 * fixed set; logged values are cut to {@link #MAX_VALUE} characters, at most {@link #MAX_LABELS}
 * labels per alert.
 */
final class AlertWebhook {
  private static final Logger logger = LoggerFactory.getLogger(AlertWebhook.class);
  private static final AttributeKey<String> ALERTNAME = AttributeKey.stringKey("alertname");
  private static final AttributeKey<String> SEVERITY = AttributeKey.stringKey("severity");
  private static final AttributeKey<String> STATUS = AttributeKey.stringKey("status");
  static final int MAX_ALERTS = 200;
  static final int MAX_NAMES = 50;
  static final int MAX_VALUE = 256;
  static final int MAX_LABELS = 20;
  private static final Set<String> SEVERITIES = Set.of("critical", "warning", "info", "none");

  /** Alertmanager's webhook payload (version 4); fields not used here are ignored. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Payload(String status, List<Alert> alerts) {}

  /** One alert of the payload. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Alert(
      String status,
      Map<String, String> labels,
      Map<String, String> annotations,
      String startsAt,
      String fingerprint) {}

  private final LongCounter received;
  private final Set<String> names = ConcurrentHashMap.newKeySet();

  AlertWebhook(Meter meter) {
    this.received =
        meter
            .counterBuilder("ktrdr.alerts.received")
            .setUnit("{alert}")
            .setDescription("Alert notifications received from Alertmanager.")
            .build();
  }

  void handle(Context ctx) {
    Payload payload = Json.body(ctx, Payload.class);
    if (payload.alerts() == null) {
      throw ApiException.badRequest("alerts is required (an Alertmanager webhook payload)");
    }
    if (payload.alerts().size() > MAX_ALERTS) {
      throw ApiException.tooLarge(
          "At most " + MAX_ALERTS + " alerts per notification; set max_alerts in Alertmanager");
    }
    for (Alert alert : payload.alerts()) {
      if (alert == null) {
        throw ApiException.badRequest("alerts must hold alert objects");
      }
    }
    for (Alert alert : payload.alerts()) {
      Map<String, String> labels = alert.labels() == null ? Map.of() : alert.labels();
      Map<String, String> annotations =
          alert.annotations() == null ? Map.of() : alert.annotations();
      String name = labelValue(labels.get("alertname"));
      String severity =
          SEVERITIES.contains(labels.get("severity")) ? labels.get("severity") : "other";
      String status = "resolved".equals(alert.status()) ? "resolved" : "firing";
      received.add(1, Attributes.of(ALERTNAME, name, SEVERITY, severity, STATUS, status));
      (status.equals("firing") ? logger.atWarn() : logger.atInfo())
          .addKeyValue("alertname", cut(labels.getOrDefault("alertname", "unknown")))
          .addKeyValue("severity", severity)
          .addKeyValue("alert_status", status)
          .addKeyValue("alert_labels", labels(labels))
          .addKeyValue("runbook_url", cut(annotations.getOrDefault("runbook_url", "")))
          .addKeyValue("starts_at", cut(alert.startsAt()))
          .addKeyValue(
              "summary",
              cut(annotations.getOrDefault("summary", labels.getOrDefault("alertname", "unknown"))))
          // What the caller sent goes into key-value fields only, which both formats escape: the
          // message stays ours, so a logfmt reader of the text format cannot be handed fields.
          .log(status.equals("firing") ? "Alert firing" : "Alert resolved");
    }
    ctx.json(Map.of("received", payload.alerts().size()));
  }

  /** The alert name as a label value: a valid name among the first {@link #MAX_NAMES} seen. */
  private String labelValue(String name) {
    if (name == null) {
      return "unknown";
    }
    if (!name.matches("[A-Za-z_:][A-Za-z0-9_:]{0,99}")) {
      return "invalid";
    }
    if (names.contains(name)) {
      return name;
    }
    synchronized (names) {
      if (names.size() < MAX_NAMES) {
        names.add(name);
        return name;
      }
    }
    return "other";
  }

  private static String labels(Map<String, String> labels) {
    Map<String, String> shown = new TreeMap<>();
    for (Map.Entry<String, String> label : labels.entrySet()) {
      if (shown.size() == MAX_LABELS) {
        shown.put("...", (labels.size() - MAX_LABELS) + " more");
        break;
      }
      shown.put(cut(label.getKey()), cut(label.getValue()));
    }
    return shown.toString();
  }

  private static String cut(String value) {
    if (value == null) {
      return null;
    }
    String printable = value.length() > MAX_VALUE ? value.substring(0, MAX_VALUE) + "..." : value;
    return printable.replaceAll("[\\p{Cntrl}]", " ");
  }
}
