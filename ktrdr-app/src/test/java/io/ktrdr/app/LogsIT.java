package io.ktrdr.app;

import static io.ktrdr.app.testing.Cluster.json;
import static io.ktrdr.app.testing.Cluster.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.AppProcess;
import io.ktrdr.app.testing.Cluster;
import io.ktrdr.app.testing.LogQueries;
import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.app.testing.Repo;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedLog;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.ktrdr.telemetry.testing.Scrape;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The stack's logs, proved without Loki or Grafana: the packaged API and a worker, as compose runs
 * them (spans to one OTLP endpoint, log records to another on Loki's native path {@code
 * /otlp/v1/logs}), start a backtest that crosses API → worker. Their real log records are turned
 * into what Loki 3 stores (index labels from the resource attributes listed in {@code
 * loki/loki.yaml}, structured metadata for the rest, as Loki's OTLP ingestion does), and the
 * provisioning's derived field and trace-to-logs query are applied to them as Grafana would.
 */
class LogsIT {
  private static final String LOGS_PATH = "/otlp/v1/logs";

  private static Path directory;
  private static OtlpReceiver lokiReceiver;
  private static OtlpReceiver jaegerReceiver;
  private static final List<AppProcess> running = new ArrayList<>();
  private static int apiPort;
  private static String traceId;
  private static ReceivedSpan apiSpan;

  @BeforeAll
  static void startApiAndWorkerAndRunABacktest() throws Exception {
    directory = Files.createTempDirectory("ktrdr-logs-");
    lokiReceiver = OtlpReceiver.start();
    jaegerReceiver = OtlpReceiver.start();
    apiPort = PrometheusProcess.freePort();
    Map<String, String> api = common(lokiReceiver.endpoint() + LOGS_PATH);
    api.put("KTRDR_ROLE", "api");
    api.put("KTRDR_PORT", Integer.toString(apiPort));
    running.add(AppProcess.start("api", api, directory));
    Map<String, String> worker = common(lokiReceiver.endpoint() + LOGS_PATH);
    worker.put("KTRDR_ROLE", "worker");
    worker.put("KTRDR_WORKER_TYPE", "backtesting");
    worker.put("KTRDR_WORKER_ID", "backtest-worker-1");
    worker.put("KTRDR_PORT", Integer.toString(PrometheusProcess.freePort()));
    running.add(AppProcess.start("backtest-worker", worker, directory));
    awaitReadyWithOneWorker();

    String operation =
        json(send(
                "POST",
                api("/api/v1/backtests/start"),
                "{\"symbol\":\"AAPL\",\"timeframe\":\"1d\"}"))
            .get("operation_id")
            .asString();
    awaitCompleted(operation);
    apiSpan =
        jaegerReceiver
            .awaitSpans(
                s -> s.name().equals("POST /api/v1/backtests/start"), 1, Duration.ofSeconds(20))
            .get(0);
    traceId = apiSpan.traceId();
  }

  /** The compose services' OTLP settings (compose.yaml), with the receivers' addresses. */
  private static Map<String, String> common(String logsEndpoint) {
    JsonNode compose = Repo.yaml("compose.yaml").at("/services/backend/environment");
    assertThat(compose.get("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT").asString()).endsWith(LOGS_PATH);
    Map<String, String> env = new HashMap<>();
    env.put(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        compose
            .get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .asString()
            .replace("http://jaeger:4318", jaegerReceiver.endpoint()));
    env.put("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", logsEndpoint);
    env.put("OTEL_LOGS_EXPORTER", compose.get("OTEL_LOGS_EXPORTER").asString());
    env.put("OTEL_EXPORTER_OTLP_PROTOCOL", compose.get("OTEL_EXPORTER_OTLP_PROTOCOL").asString());
    env.put("KTRDR_ENVIRONMENT", "staging");
    env.put("KTRDR_LOG_FORMAT", "json");
    env.put("OTEL_BSP_SCHEDULE_DELAY", "200");
    env.put("OTEL_BLRP_SCHEDULE_DELAY", "200");
    env.put("KTRDR_API_URL", "http://127.0.0.1:" + apiPort);
    env.put("KTRDR_SIMULATION_STEP_DELAY_MS", "2");
    return env;
  }

  private static String api(String path) {
    return "http://127.0.0.1:" + apiPort + path;
  }

  private static void awaitReadyWithOneWorker() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (send("GET", api("/api/v1/health/ready"), null).statusCode() == 200
            && json(send("GET", api("/api/v1/workers"), null)).get("workers").size() == 1) {
          return;
        }
      } catch (RuntimeException notYet) {
        // starting
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "the API and its worker did not come up:\n"
            + running.stream().map(p -> p.name() + ":\n" + p.log()).collect(Collectors.joining()));
  }

  private static void awaitCompleted(String operation) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode op = json(send("GET", api("/api/v1/operations/" + operation), null));
      if (op.get("status").asString().equals("completed")) {
        return;
      }
      assertThat(op.get("status").asString()).as(op.toString()).isNotIn("failed", "cancelled");
      Thread.sleep(100);
    }
    throw new AssertionError("operation " + operation + " did not complete");
  }

  @AfterAll
  static void stop() {
    running.forEach(AppProcess::close);
    if (lokiReceiver != null) {
      lokiReceiver.close();
    }
    if (jaegerReceiver != null) {
      jaegerReceiver.close();
    }
  }

  /** The records of {@code service} in the backtest's trace, waiting for {@code body}. */
  private static List<ReceivedLog> recordsOf(String service, String body) {
    lokiReceiver.awaitLogs(
        l -> l.traceId().equals(traceId) && l.body().equals(body), Duration.ofSeconds(20));
    return lokiReceiver.logs().stream()
        .filter(l -> l.traceId().equals(traceId))
        .filter(l -> service.equals(l.resource().get("service.name")))
        .toList();
  }

  @Test
  void apiAndWorkerExportTheirRecordsOnLokisPathWithWhatLokiIndexesAndTheSpanOfEachLine() {
    List<ReceivedLog> api = recordsOf("ktrdr-api", "Operation dispatched");
    List<ReceivedLog> worker = recordsOf("ktrdr-worker", "Operation completed");
    System.out.println(
        "LogsIT: trace "
            + traceId
            + " in "
            + api.size()
            + " log records of ktrdr-api "
            + api.stream().map(ReceivedLog::body).toList()
            + " and "
            + worker.size()
            + " of ktrdr-worker "
            + worker.stream().map(ReceivedLog::body).toList());
    assertThat(api).extracting(ReceivedLog::body).contains("Operation dispatched");
    assertThat(worker)
        .extracting(ReceivedLog::body)
        .contains("Operation started", "Operation completed");

    Map<String, ReceivedSpan> spans = new HashMap<>();
    jaegerReceiver.spans().forEach(s -> spans.put(s.spanId(), s));
    List<ReceivedLog> all = new ArrayList<>(api);
    all.addAll(worker);
    assertThat(all).isNotEmpty();
    for (ReceivedLog record : all) {
      String what = record.resource().get("service.name") + " '" + record.body() + "'";
      assertThat(record.path()).as(what).isEqualTo(LOGS_PATH);
      assertThat(record.log().getSeverityText()).as(what).isEqualTo("INFO");
      assertThat(record.log().getSeverityNumberValue()).as(what).isEqualTo(9);
      assertThat(record.log().getTimeUnixNano()).as(what).isPositive();
      // The line's span is a span of the same service in the same trace, exported to Jaeger.
      ReceivedSpan span = spans.get(record.spanId());
      assertThat(span).as("%s: span %s exported", what, record.spanId()).isNotNull();
      assertThat(span.traceId()).as(what).isEqualTo(record.traceId()).isEqualTo(traceId);
      assertThat(span.resource().get("service.name"))
          .as(what)
          .isEqualTo(record.resource().get("service.name"));

      LokiEntry entry = LokiEntry.of(record);
      assertThat(entry.line()).as(what).isEqualTo(record.body());
      assertThat(entry.metadata())
          .as(what)
          .containsEntry("trace_id", traceId)
          .containsEntry("span_id", record.spanId())
          .containsEntry("severity_text", "INFO")
          .containsKey("service_version")
          .doesNotContainKeys("service_name", "trace.id");
    }
    assertThat(api.get(0).spanId())
        .as("logged inside the request's span")
        .isEqualTo(apiSpan.spanId());
    assertThat(LokiEntry.of(api.get(0)).labels())
        .isEqualTo(Map.of("service_name", "ktrdr-api", "deployment_environment_name", "staging"));
    assertThat(LokiEntry.of(worker.get(0)).labels())
        .isEqualTo(
            Map.of(
                "service_name", "ktrdr-worker",
                "service_instance_id", "backtest-worker-1",
                "deployment_environment_name", "staging"));
    // Worker lines carry the operation: the filter an operator adds after the trace.
    assertThat(LokiEntry.of(worker.get(0)).metadata())
        .containsKeys("operation_id", "operation_type");

    // Each signal went to its own endpoint only.
    assertThat(jaegerReceiver.logs()).isEmpty();
    assertThat(lokiReceiver.spans()).isEmpty();
  }

  @Test
  void theDerivedFieldOfEveryLineOpensTheExportedTrace() {
    JsonNode field = LogQueries.traceIdField();
    assertThat(field.get("matcherType").asString()).isEqualTo("label");
    // Grafana: the first label name the pattern finds (JavaScript RegExp.test, not anchored).
    Pattern matcher = Pattern.compile(field.get("matcherRegex").asString());
    List<ReceivedLog> records = new ArrayList<>(recordsOf("ktrdr-api", "Operation dispatched"));
    records.addAll(recordsOf("ktrdr-worker", "Operation completed"));
    assertThat(records).isNotEmpty();
    Set<String> traceIds =
        jaegerReceiver.spans().stream().map(ReceivedSpan::traceId).collect(Collectors.toSet());
    for (ReceivedLog record : records) {
      Map<String, String> labels = LokiEntry.of(record).grafanaLabels();
      String value =
          labels.entrySet().stream()
              .filter(e -> matcher.matcher(e.getKey()).find())
              .map(Map.Entry::getValue)
              .findFirst()
              .orElseThrow(() -> new AssertionError("no label matches " + matcher + ": " + labels));
      String link =
          LogQueries.provisioned(field.get("url").asString()).replace("${__value.raw}", value);
      assertThat(link).as("the Jaeger query of %s", record.body()).isEqualTo(traceId);
      assertThat(traceIds).contains(link);
    }
    // A line logged outside any span has no trace_id: no link rather than a wrong one.
    ReceivedLog startUp =
        lokiReceiver
            .awaitLogs(l -> l.body().startsWith("KTRDR API listening"), Duration.ofSeconds(10))
            .get(0);
    assertThat(LokiEntry.of(startUp).grafanaLabels().keySet())
        .noneMatch(k -> matcher.matcher(k).find());
  }

  @Test
  void theTraceToLogsQueryOfEachSpanReturnsTheLinesLoggedInIt() {
    List<LokiEntry> store = new ArrayList<>();
    recordsOf("ktrdr-worker", "Operation completed");
    lokiReceiver.logs().forEach(l -> store.add(LokiEntry.of(l)));
    assertThat(store).hasSizeGreaterThan(3);

    String apiQuery = LogQueries.traceToLogs(traceId, apiSpan.spanId());
    System.out.println("LogsIT: trace-to-logs for the API span: " + apiQuery);
    List<LokiEntry> apiLines = LogQl.select(apiQuery, store);
    assertThat(apiLines).extracting(LokiEntry::line).contains("Operation dispatched");
    assertThat(apiLines)
        .allSatisfy(e -> assertThat(e.labels()).containsEntry("service_name", "ktrdr-api"));

    // The worker's lines: each span of the worker that logged gets exactly its own lines.
    Map<String, List<String>> bySpan = new TreeMap<>();
    for (LokiEntry entry : store) {
      if (traceId.equals(entry.metadata().get("trace_id"))
          && "ktrdr-worker".equals(entry.labels().get("service_name"))) {
        bySpan
            .computeIfAbsent(entry.metadata().get("span_id"), k -> new ArrayList<>())
            .add(entry.line());
      }
    }
    assertThat(bySpan).isNotEmpty();
    for (Map.Entry<String, List<String>> span : bySpan.entrySet()) {
      List<String> found =
          LogQl.select(LogQueries.traceToLogs(traceId, span.getKey()), store).stream()
              .map(LokiEntry::line)
              .toList();
      assertThat(found)
          .as("span %s", span.getKey())
          .containsExactlyInAnyOrderElementsOf(span.getValue());
    }
    assertThat(bySpan.values().stream().flatMap(List::stream))
        .contains("Operation started", "Operation completed");
    // Another trace's span finds nothing.
    assertThat(LogQl.select(LogQueries.traceToLogs("0".repeat(31) + "1", apiSpan.spanId()), store))
        .isEmpty();
  }

  @Test
  void withLokiDownTheApiServesAndCountsAndReportsTheFailedExportsOnce() throws Exception {
    int closed = PrometheusProcess.freePort();
    int port = PrometheusProcess.freePort();
    Map<String, String> env = common("http://127.0.0.1:" + closed + LOGS_PATH);
    env.put("KTRDR_ROLE", "api");
    env.put("KTRDR_PORT", Integer.toString(port));
    env.put("KTRDR_API_URL", "http://127.0.0.1:" + port);
    env.put("OTEL_BLRP_SCHEDULE_DELAY", "100");
    env.put("OTEL_EXPORTER_OTLP_TIMEOUT", "500");
    try (AppProcess lonely = AppProcess.start("api-loki-down", env, directory)) {
      String base = "http://127.0.0.1:" + port;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline) {
        try {
          if (send("GET", base + "/api/v1/health/ready", null).statusCode() == 200) {
            break;
          }
        } catch (RuntimeException notYet) {
          // starting
        }
        Thread.sleep(200);
      }
      double failures = 0;
      int served = 0;
      while (System.nanoTime() < deadline && (failures < 2 || served < 20)) {
        try {
          // Each registration is logged ("Worker registered"): log records to export.
          HttpResponse<String> register =
              send(
                  "POST",
                  base + "/api/v1/workers/register",
                  "{\"worker_id\":\"probe-1\",\"worker_type\":\"backtesting\","
                      + "\"instance_id\":\"probe\",\"url\":\"http://127.0.0.1:"
                      + closed
                      + "\"}",
                  Cluster.asWorker("probe-1"));
          assertThat(register.statusCode()).as(register.body()).isEqualTo(200);
          assertThat(send("GET", base + "/api/v1/data/symbols", null).statusCode()).isEqualTo(200);
          served++;
          failures =
              Scrape.parse(send("GET", base + "/metrics", null).body())
                  .value("ktrdr_telemetry_errors_total", Map.of("component", "log-export"));
        } catch (RuntimeException notYet) {
          Thread.sleep(200);
        }
      }
      assertThat(served).as("requests answered with Loki down").isGreaterThanOrEqualTo(20);
      assertThat(failures).as("failed log exports counted").isGreaterThanOrEqualTo(2);
      String log = lonely.log();
      // Reported once for the outage (rate-limited), the JSON lines still on stdout.
      assertThat(log.split("Exporting log records failed", -1)).as(log).hasSize(2);
      assertThat(log).contains("\"message\":\"KTRDR API listening");
    }
  }

  /** A log record as Loki 3's OTLP ingestion stores it. */
  record LokiEntry(Map<String, String> labels, Map<String, String> metadata, String line) {
    private static final Pattern INVALID = Pattern.compile("[^a-zA-Z0-9_]");

    static LokiEntry of(ReceivedLog record) {
      List<String> indexed = new ArrayList<>();
      Repo.yaml("loki/loki.yaml")
          .at("/distributor/otlp_config/default_resource_attributes_as_index_labels")
          .forEach(a -> indexed.add(a.asString()));
      assertThat(indexed).contains("service.name");
      Map<String, String> labels = new TreeMap<>();
      Map<String, String> metadata = new LinkedHashMap<>();
      record
          .resource()
          .forEach((k, v) -> (indexed.contains(k) ? labels : metadata).put(normalize(k), v));
      if (!record.scope().isEmpty()) {
        metadata.put("scope_name", record.scope());
      }
      record.attributes().forEach((k, v) -> metadata.put(normalize(k), v));
      if (record.log().getSeverityNumberValue() != 0) {
        metadata.put("severity_number", Integer.toString(record.log().getSeverityNumberValue()));
      }
      if (!record.log().getSeverityText().isEmpty()) {
        metadata.put("severity_text", record.log().getSeverityText());
      }
      if (!record.traceId().isEmpty() && !record.traceId().matches("0+")) {
        metadata.put("trace_id", record.traceId());
      }
      if (!record.spanId().isEmpty() && !record.spanId().matches("0+")) {
        metadata.put("span_id", record.spanId());
      }
      return new LokiEntry(labels, metadata, record.body());
    }

    /** Loki's label normalization: anything but letters, digits and _ becomes _. */
    static String normalize(String key) {
      String name = INVALID.matcher(key).replaceAll("_");
      return Character.isDigit(name.charAt(0)) ? "key_" + name : name;
    }

    /** What Grafana shows as the line's labels: stream labels and structured metadata. */
    Map<String, String> grafanaLabels() {
      Map<String, String> all = new LinkedHashMap<>(labels);
      all.putAll(metadata);
      return all;
    }
  }

  /**
   * The part of LogQL the provisioning's trace-to-logs query uses: a stream selector on index
   * labels and label filters on labels and structured metadata. Anything else fails, so that a
   * richer query needs a richer check.
   */
  static final class LogQl {
    private static final String VALUE = "\"((?:[^\"\\\\]|\\\\.)*)\"";
    private static final Pattern QUERY = Pattern.compile("^\\{([^}]*)\\}((?:\\s*\\|[^|]+)*)$");
    private static final Pattern MATCHER =
        Pattern.compile("\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*" + VALUE + "\\s*");
    private static final Pattern STAGE =
        Pattern.compile("\\s*\\|\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*" + VALUE + "\\s*");

    static List<LokiEntry> select(String query, List<LokiEntry> store) {
      Matcher q = QUERY.matcher(query.trim());
      if (!q.matches()) {
        throw new AssertionError("not a selector with label filters: " + query);
      }
      List<String[]> selector = matchers(q.group(1), MATCHER, ",", query);
      List<String[]> filters = matchers(q.group(2), STAGE, null, query);
      assertThat(selector).as("a selector needs a matcher: %s", query).isNotEmpty();
      return store.stream()
          .filter(e -> selector.stream().allMatch(m -> holds(m, e.labels())))
          .filter(e -> filters.stream().allMatch(m -> holds(m, e.grafanaLabels())))
          .toList();
    }

    private static List<String[]> matchers(
        String text, Pattern pattern, String separator, String query) {
      List<String[]> result = new ArrayList<>();
      List<String> parts = new ArrayList<>();
      if (separator == null) {
        Matcher stage = Pattern.compile("\\|[^|]+").matcher(text);
        while (stage.find()) {
          parts.add(stage.group());
        }
      } else {
        parts.addAll(List.of(text.split(separator)));
      }
      for (String part : parts) {
        if (part.isBlank()) {
          continue;
        }
        Matcher m = pattern.matcher(part);
        if (!m.matches()) {
          throw new AssertionError("unsupported '" + part + "' in " + query);
        }
        result.add(new String[] {m.group(1), m.group(2), m.group(3).replace("\\\"", "\"")});
      }
      return result;
    }

    /** Loki's matchers: regular expressions match the whole value; a missing label is "". */
    private static boolean holds(String[] matcher, Map<String, String> labels) {
      String value = labels.getOrDefault(matcher[0], "");
      switch (matcher[1]) {
        case "=":
          return value.equals(matcher[2]);
        case "!=":
          return !value.equals(matcher[2]);
        case "=~":
          return value.matches(matcher[2]);
        default:
          return !value.matches(matcher[2]);
      }
    }
  }
}
