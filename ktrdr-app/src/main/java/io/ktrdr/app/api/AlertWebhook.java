package io.ktrdr.app.api;

import io.javalin.http.Context;
import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.Json;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives Alertmanager's webhook ({@code POST /api/v1/alerts}): each alert becomes one structured
 * log line (WARN when firing, INFO when resolved) and a count in {@code
 * ktrdr_alerts_received_total{alertname,severity,status}}. The bundled Alertmanager sends here, so
 * alerts are visible locally without any external account.
 */
final class AlertWebhook {
  private static final Logger logger = LoggerFactory.getLogger(AlertWebhook.class);
  private static final AttributeKey<String> ALERTNAME = AttributeKey.stringKey("alertname");
  private static final AttributeKey<String> SEVERITY = AttributeKey.stringKey("severity");
  private static final AttributeKey<String> STATUS = AttributeKey.stringKey("status");

  /** Alertmanager's webhook payload (version 4), the fields used here. */
  record Payload(String status, List<Alert> alerts) {}

  /** One alert of the payload. */
  record Alert(
      String status,
      Map<String, String> labels,
      Map<String, String> annotations,
      String startsAt,
      String fingerprint) {}

  private final LongCounter received;

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
    for (Alert alert : payload.alerts()) {
      Map<String, String> labels = alert.labels() == null ? Map.of() : alert.labels();
      Map<String, String> annotations =
          alert.annotations() == null ? Map.of() : alert.annotations();
      String name = labels.getOrDefault("alertname", "unknown");
      String severity = labels.getOrDefault("severity", "none");
      String status = "resolved".equals(alert.status()) ? "resolved" : "firing";
      received.add(1, Attributes.of(ALERTNAME, name, SEVERITY, severity, STATUS, status));
      (status.equals("firing") ? logger.atWarn() : logger.atInfo())
          .addKeyValue("alertname", name)
          .addKeyValue("severity", severity)
          .addKeyValue("alert_status", status)
          .addKeyValue("alert_labels", labels.toString())
          .addKeyValue("runbook_url", annotations.getOrDefault("runbook_url", ""))
          .addKeyValue("starts_at", alert.startsAt())
          .log("Alert {}: {}", status, annotations.getOrDefault("summary", name));
    }
    ctx.json(Map.of("received", payload.alerts().size()));
  }
}
