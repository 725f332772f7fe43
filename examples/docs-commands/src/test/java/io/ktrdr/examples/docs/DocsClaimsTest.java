package io.ktrdr.examples.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks what the prose of README.md and docs/*.md states, against the repository and the reference
 * app that scripts/run.sh starts (with its Prometheus): every repository path in a code span
 * exists, every metric name is served (or produced by a rule, or listed below with the condition it
 * needs), every {@code localhost} port is one the stack or the scripts use, and the statements that
 * were once wrong (issue 21) are true. A paragraph that cannot be checked here carries {@code <!--
 * doc-test: claims-unchecked REASON -->} on the line before it (CONTRIBUTING.md).
 */
class DocsClaimsTest {
  private static final Path ROOT =
      Path.of(System.getProperty("repository.root")).toAbsolutePath().normalize();
  private static final Path WORK = Path.of(System.getProperty("docs.workDirectory"));
  private static final DocPorts PORTS = DocPorts.free();
  private static final ReferenceApp APP =
      new ReferenceApp(ROOT, PORTS, WORK.resolve("claims-run.sh.log"));
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(2))
          .followRedirects(HttpClient.Redirect.NORMAL)
          .build();

  /** Top-level entries of the repository a code span may name. */
  private static final Pattern REPOSITORY_PATH =
      Pattern.compile(
          "^(docs|scripts|prometheus|grafana-provisioning|examples|ktrdr-app|ktrdr-telemetry"
              + "|ktrdr-telemetry-bom|ktrdr-telemetry-logback|loki|benchmarks)/[^\\s]*"
              + "|^(compose[\\w.-]*\\.yaml|compose\\.ha\\.env|Dockerfile|README\\.md"
              + "|CONTRIBUTING\\.md|CHANGELOG\\.md|mvnw)$");

  /** Paths the docs name that exist only once something ran. */
  private static final Map<String, String> MADE_AT_RUN_TIME =
      Map.of(
          "target/", "build output",
          "node_modules", "made by npm ci (scripts/install-test-deps.sh)");

  private static final Pattern METRIC =
      Pattern.compile(
          "(?<![\\w:.])(ktrdr_[a-z0-9_]+|http_(?:server|client)_[a-z0-9_]+|jvm_[a-z0-9_]+"
              + "|process_[a-z0-9_]+|db_client_[a-z0-9_]+|target_info|otel_[a-z0-9_]+)"
              + "(?![\\w:.*])");

  /**
   * Metric families the docs describe that a fresh local run does not serve, with the condition
   * under which they appear. Everything else the docs name must be in a scrape of the API or a
   * worker, or be the output of a rule in prometheus/.
   */
  private static final Map<String, String> CONDITIONAL_METRICS =
      conditional(
          "ktrdr_telemetry_dropped_total", "only after a span, log record or metric point is lost",
          "ktrdr_telemetry_errors_total", "only after a telemetry error",
          "ktrdr_telemetry_scrapes_rejected_total", "only after a scrape was refused",
          "ktrdr_telemetry_propagation_dropped_total", "only after inbound baggage was dropped",
          "ktrdr_operations_lost_total", "only after a worker lost an operation",
          "ktrdr_db_unavailable_total", "only after the database was unavailable",
          "db_client_connection_timeouts_total", "only after a pool connection request timed out",
          "ktrdr_log_events_total", "only with the logback module's counter on",
          "http_client_request_duration_seconds", "only after a traced HTTP client call",
          "ktrdr_telemetry_traces_kept_total", "only with KTRDR_TRACES_KEEP_* set",
          "ktrdr_alerts_received_total", "only after the alert webhook received an alert",
          "ktrdr_operation_duration_seconds", "only after an operation ended (workers)",
          "ktrdr_backtests_total", "getting-started.md's example of your own counter",
          "ktrdr_metrics_token", "a Docker secret's name, not a metric",
          "ktrdr_rules", "the name of a sampler (OTEL_TRACES_SAMPLER=ktrdr_rules), not a metric",
          "otel_sdk_", "the SDK's own metrics: only with spans exported (OTEL_EXPORTER_OTLP_*)",
          "otel_span_", "labels of the SDK's own span metrics (as otel_sdk_)",
          "otel_metric_overflow", "the label of the series past the cardinality limit",
          "otel_scope_version", "a label written only for a scope that has a version",
          "otel_scope_schema_url", "a label written only for a scope that has a schema URL");

  /** Names the docs say are not served (removed or left out): they must stay absent. */
  private static final Map<String, String> ABSENT_METRICS =
      conditional(
          "ktrdr_telemetry_spans_dropped_total", "replaced by ktrdr_telemetry_dropped_total",
          "jvm_memory_pool_allocated_bytes_total", "left out: its GC listeners cannot be removed");

  private static final Pattern HOST_PORT =
      Pattern.compile("\\b(?:localhost|127\\.0\\.0\\.1):(\\d{2,5})\\b");

  /** Ports the docs name that neither compose.yaml nor scripts/run.sh publish. */
  private static final Map<String, String> OTHER_PORTS =
      Map.of(
          "8080", "the quick start's own service",
          "9091", "a Prometheus of the reader's own (docs/verify.md)");

  private static List<DocProse> prose;
  private static String apiScrape;
  private static String workerScrape;
  private static String runLog;

  @BeforeAll
  static void startTheApp() throws Exception {
    ReferenceApp.assertBuilt(ROOT);
    Files.createDirectories(WORK);
    prose = DocProse.readAll(ROOT).stream().filter(p -> !p.unchecked()).toList();
    APP.ensureRunningFor("DocsClaimsTest");
    // The traffic the docs' examples make: routes, an unknown path, a wrong method, a backtest.
    request("GET", api("/api/v1/health"), null);
    request("GET", api("/api/v1/data/symbols"), null);
    request("GET", api("/api/v1/nope"), null);
    request("DELETE", api("/api/v1/health"), null);
    request("POST", api("/api/v1/backtests/start"), "{\"symbol\":\"AAPL\",\"timeframe\":\"1d\"}");
    apiScrape = request("GET", api("/metrics"), null).body();
    workerScrape =
        request("GET", "http://127.0.0.1:" + PORTS.backtestWorker() + "/metrics", null).body();
    runLog = Files.readString(WORK.resolve("claims-run.sh.log"));
  }

  @AfterAll
  static void stopTheApp() throws InterruptedException {
    APP.stop();
  }

  @Test
  void everyRepositoryPathTheDocsNameExists() throws IOException {
    List<String> missing = new ArrayList<>();
    int checked = 0;
    for (DocProse paragraph : prose) {
      for (String span : paragraph.codeSpans()) {
        // A command with its arguments names its script: the first word is the path.
        String path =
            span.strip().split("\\s+", 2)[0].replaceFirst("[:#].*$", "").replaceFirst("^\\./", "");
        if (!REPOSITORY_PATH.matcher(path).find()
            || MADE_AT_RUN_TIME.keySet().stream().anyMatch(path::contains)) {
          continue;
        }
        checked++;
        if (!exists(path)) {
          missing.add(paragraph.location() + ": `" + span + "`");
        }
      }
    }
    report("repository paths", checked);
    assertThat(missing).as("paths named in the docs that the repository does not have").isEmpty();
  }

  @Test
  void everyMarkdownLinkPointsAtAFileThatExists() {
    Pattern link = Pattern.compile("\\]\\(([^)\\s#]+)(#[^)]*)?\\)");
    List<String> missing = new ArrayList<>();
    int checked = 0;
    for (DocProse paragraph : prose) {
      Matcher matcher = link.matcher(paragraph.text());
      while (matcher.find()) {
        String target = matcher.group(1);
        if (target.startsWith("http://") || target.startsWith("https://")) {
          continue;
        }
        checked++;
        Path base = ROOT.resolve(paragraph.file()).getParent();
        if (!Files.exists(base.resolve(target))) {
          missing.add(paragraph.location() + ": (" + target + ")");
        }
      }
    }
    report("links", checked);
    assertThat(missing).as("links to files that do not exist").isEmpty();
  }

  @Test
  void everyMetricNameTheDocsUseIsServedOrExplained() throws IOException {
    Set<String> served = new TreeSet<>();
    served.addAll(sampleNames(apiScrape));
    served.addAll(sampleNames(workerScrape));
    Set<String> recorded = ruleOutputs();
    served.addAll(labelNames(apiScrape));
    served.addAll(labelNames(workerScrape));
    assertThat(served)
        .as("what the docs say is not served")
        .doesNotContainAnyElementsOf(ABSENT_METRICS.keySet());
    List<String> unknown = new ArrayList<>();
    int checked = 0;
    for (DocProse paragraph : prose) {
      for (String span : paragraph.codeSpans()) {
        Matcher metric = METRIC.matcher(span);
        while (metric.find()) {
          String name = metric.group(1);
          if (name.endsWith("_")) {
            continue; // a prefix (`jvm_memory_*`)
          }
          checked++;
          if (!isKnown(name, served, recorded) && !ABSENT_METRICS.containsKey(name)) {
            unknown.add(paragraph.location() + ": " + name);
          }
        }
      }
    }
    report("metric names", checked);
    assertThat(unknown)
        .as(
            "metric names in the docs that neither the API's nor a worker's /metrics serves, no rule"
                + " in prometheus/ records, and DocsClaimsTest.CONDITIONAL_METRICS does not explain")
        .isEmpty();
  }

  @Test
  void everyLocalPortTheDocsNameIsOneTheStackOrTheScriptsUse() throws IOException {
    Set<String> known = new TreeSet<>(composeHostPorts());
    Matcher defaults =
        Pattern.compile("_PORT:-(\\d+)\\}")
            .matcher(Files.readString(ROOT.resolve("scripts/run.sh")));
    while (defaults.find()) {
      known.add(defaults.group(1));
    }
    known.addAll(OTHER_PORTS.keySet());
    List<String> unknown = new ArrayList<>();
    int checked = 0;
    for (DocProse paragraph : prose) {
      Matcher port = HOST_PORT.matcher(paragraph.text());
      while (port.find()) {
        checked++;
        if (!known.contains(port.group(1))) {
          unknown.add(paragraph.location() + ": " + port.group());
        }
      }
    }
    report("ports", checked);
    assertThat(unknown)
        .as("ports that compose.yaml does not publish and scripts/run.sh does not use: " + known)
        .isEmpty();
  }

  @Test
  void theValidationGuideCountsComposeServicesRight() throws IOException {
    Map<String, List<String>> profiles = composeServices();
    List<String> always =
        profiles.entrySet().stream()
            .filter(e -> e.getValue().isEmpty())
            .map(Map.Entry::getKey)
            .toList();
    String guide = Files.readString(ROOT.resolve("docs/validation-guide.md"));
    Matcher all =
        Pattern.compile("all (\\w+) services `healthy`: (.*?)\\. The workers", Pattern.DOTALL)
            .matcher(guide);
    assertThat(all.find()).as("validation guide step 3: 'all N services `healthy`: ...'").isTrue();
    assertThat(number(all.group(1)))
        .as("services without a profile in compose.yaml: " + always)
        .isEqualTo(always.size());
    Set<String> named = new TreeSet<>();
    Matcher service = Pattern.compile("`([a-z][a-z0-9-]*)`").matcher(all.group(2));
    while (service.find()) {
      named.add(service.group(1));
    }
    assertThat(named).as("the services step 3 names").isEqualTo(new TreeSet<>(always));
    Matcher longTerm = Pattern.compile("an? (\\w+), `victoriametrics`").matcher(guide);
    assertThat(longTerm.find()).isTrue();
    assertThat(ordinal(longTerm.group(1)))
        .as("victoriametrics is the long-term profile's only addition")
        .isEqualTo(always.size() + 1);
    long ha = profiles.values().stream().filter(p -> p.contains("ha")).count();
    Matcher haMore =
        Pattern.compile("--profile ha`, (\\w+) more").matcher(guide.replace("\n", " "));
    assertThat(haMore.find()).isTrue();
    assertThat(number(haMore.group(1))).as("services of the ha profile").isEqualTo(ha);
  }

  @Test
  void theValidationGuideCountsAlertsRightAndOnlyWatchdogFiresLocally() throws IOException {
    String guide = Files.readString(ROOT.resolve("docs/validation-guide.md")).replace("\n", " ");
    Matcher counts =
        Pattern.compile("lists the (\\d+) KTRDR alerts and the (\\d+) about the stack")
            .matcher(guide);
    assertThat(counts.find()).isTrue();
    assertThat(Integer.parseInt(counts.group(1)))
        .isEqualTo(alerts("prometheus/rules/ktrdr-alerts.rules.yml"));
    assertThat(Integer.parseInt(counts.group(2)))
        .isEqualTo(alerts("prometheus/rules/stack-alerts.rules.yml"));
    assertThat(guide).contains("locally only Watchdog fires");
    String firing =
        Await.value(
            "the local Prometheus evaluating its rules (Watchdog firing)",
            Duration.ofSeconds(60),
            () -> request("GET", prometheus("/api/v1/alerts"), null).body(),
            body -> body.contains("\"alertname\":\"Watchdog\""));
    Set<String> names = new TreeSet<>();
    for (String alert : firing.split("\\{\"labels\":")) {
      Matcher name = Pattern.compile("\"alertname\":\"(\\w+)\"").matcher(alert);
      if (alert.contains("\"state\":\"firing\"") && name.find()) {
        names.add(name.group(1));
      }
    }
    assertThat(names)
        .as("alerts firing in scripts/run.sh's Prometheus")
        .containsExactly("Watchdog");
  }

  @Test
  void prometheusUiLinksWorkOnTheLocalPrometheusWithThe3xFormBeside() {
    Pattern link = Pattern.compile("http://localhost:9090(/[\\w/.-]*)?");
    List<String> wrong = new ArrayList<>();
    int checked = 0;
    for (DocProse paragraph : prose) {
      Matcher matcher = link.matcher(paragraph.text());
      while (matcher.find()) {
        String path = matcher.group(1) == null ? "/" : matcher.group(1);
        if (path.startsWith("/api/")) {
          continue;
        }
        checked++;
        int status = request("GET", prometheus(path), null).statusCode();
        if (path.startsWith("/classic/")) {
          String modern = "http://localhost:9090" + path.substring("/classic".length());
          if (status != 200 || !paragraph.text().contains(modern)) {
            wrong.add(
                paragraph.location()
                    + ": "
                    + path
                    + " ("
                    + status
                    + "; needs "
                    + modern
                    + " beside it)");
          }
        } else if (status != 200
            && !paragraph.text().contains("http://localhost:9090/classic" + path)) {
          wrong.add(
              paragraph.location()
                  + ": "
                  + path
                  + " answers "
                  + status
                  + " on Prometheus 2.42 and has no /classic form beside it");
        }
      }
    }
    report("Prometheus UI links", checked);
    assertThat(wrong).isEmpty();
  }

  @Test
  void theHealthResponsesAreTheDocumentedOnes() throws IOException {
    String verify = Files.readString(ROOT.resolve("docs/verify.md"));
    Matcher documented =
        Pattern.compile("curl -s localhost:8000/api/v1/health +# (\\{.*})").matcher(verify);
    assertThat(documented.find()).isTrue();
    String live = request("GET", api("/api/v1/health"), null).body();
    assertThat(members(live)).as("GET /api/v1/health").isEqualTo(members(documented.group(1)));
    String reference = Files.readString(ROOT.resolve("docs/reference-app.md"));
    Matcher health = Pattern.compile("\\| `GET /health` \\| `(\\{[^`]*})`").matcher(reference);
    assertThat(health.find()).isTrue();
    assertThat(members(live))
        .as("reference-app.md's GET /health")
        .isEqualTo(members(health.group(1)));
    String ready = request("GET", api("/api/v1/health/ready"), null).body();
    Matcher readyDoc =
        Pattern.compile("\\| `GET /health/ready` \\| `(\\{[^`]*})`").matcher(reference);
    assertThat(readyDoc.find()).isTrue();
    assertThat(members(ready))
        .as("reference-app.md's GET /health/ready")
        .isEqualTo(members(readyDoc.group(1)));
  }

  @Test
  void unmatchedRequestsHaveNoRouteLabelAsMetricsMdSays() throws IOException {
    for (String status : List.of("404", "405")) {
      List<String> series =
          apiScrape
              .lines()
              .filter(l -> l.startsWith("http_server_request_duration_seconds_count{"))
              .filter(l -> l.contains("http_response_status_code=\"" + status + "\""))
              .toList();
      assertThat(series).as(status + " series").isNotEmpty();
      assertThat(series)
          .as(status + " series carry no http_route")
          .noneMatch(l -> l.contains("http_route="));
    }
    String metrics = Files.readString(ROOT.resolve("docs/metrics.md"));
    assertThat(metrics)
        .contains("an unknown path (`404`)")
        .contains("(`405`, e.g. `DELETE /api/v1/health`)");
  }

  @Test
  void theHttpBucketsAreTheDocumentedPowersOfTwo() throws IOException {
    Set<Double> bounds = new TreeSet<>();
    Matcher le =
        Pattern.compile(
                "^http_server_request_duration_seconds_bucket\\{.*le=\"([0-9.eE+-]+)\"",
                Pattern.MULTILINE)
            .matcher(apiScrape);
    while (le.find()) {
      bounds.add(Double.parseDouble(le.group(1)));
    }
    List<Double> expected = new ArrayList<>();
    for (int k = -8; k <= 4; k++) {
      expected.add(Math.scalb(1.0, k));
    }
    assertThat(bounds).as("classic bounds in the default mode").containsExactlyElementsOf(expected);
    String all = allDocs();
    assertThat(all).doesNotContain("5 ms to 10 s");
    assertThat(all).contains("2^-8 to 2^4 s");
  }

  @Test
  void theStatementsIssue21FoundWrongStayFixed() throws IOException {
    String all = allDocs();
    // jvm_* are client_java's names, not semantic conventions.
    for (String sentence : all.replace("\n", " ").split("(?<=[.:;])\\s")) {
      if (sentence.contains("semantic-convention") && sentence.contains("`jvm_")) {
        assertThat(sentence)
            .as("a sentence naming jvm_* also names client_java")
            .contains("client_java");
      }
    }
    // jvm_gc_collection_seconds is more than pauses.
    assertThat(Files.readString(ROOT.resolve("docs/metrics.md")))
        .doesNotContain("| GC pauses")
        .contains("G1 Concurrent GC");
    // Operations are in the database.
    assertThat(Files.readString(ROOT.resolve("docs/production.md")))
        .doesNotContain("keeps operations in memory")
        .contains("operations in its database");
    assertThat(
            Files.readString(
                ROOT.resolve(
                    "ktrdr-app/src/main/java/io/ktrdr/app/operations/OperationStore.java")))
        .contains("in the app's database (table {@code operations})");
    // The start-up line's traces exporter= field says where spans go; tracing=true does not.
    String troubleshooting = Files.readString(ROOT.resolve("docs/troubleshooting.md"));
    assertThat(troubleshooting)
        .contains("`traces exporter=none`")
        .doesNotContain("tracing=true` at start");
    assertThat(runLog)
        .contains("Telemetry ready: service.name=ktrdr-api")
        .contains("traces exporter=none");
    // The compatibility rules are in prometheus/compat/ and opt-in.
    assertThat(all).doesNotContain("prometheus/rules/compat-python");
    assertThat(troubleshooting).contains("opt-in `prometheus/compat/compat-python.rules.yml`");
    assertThat(Files.readString(ROOT.resolve("compose.yaml")))
        .contains("# - ./prometheus/compat/compat-python.rules.yml");
    // No block starts a second Prometheus on the port scripts/run.sh's already has.
    Matcher runPort =
        Pattern.compile("prometheus_port=\\$\\{KTRDR_PROMETHEUS_PORT:-(\\d+)}")
            .matcher(Files.readString(ROOT.resolve("scripts/run.sh")));
    assertThat(runPort.find()).isTrue();
    for (DocBlock block : DocBlock.readAll(ROOT)) {
      if (block.skipReason().isEmpty() && !block.startsTheApp()) {
        assertThat(block.text())
            .as(block.location() + " runs beside scripts/run.sh's Prometheus")
            .doesNotContainPattern("--web.listen-address=\\S*:" + runPort.group(1) + "\\b");
      }
    }
    // Debian's promtool (2.42) cannot check prometheus/prometheus.yml as it is: the guide runs it
    // on a copy without the 3.x-only key, and names the 3.x form.
    String guide = Files.readString(ROOT.resolve("docs/validation-guide.md"));
    assertThat(guide)
        .contains("sed '/always_scrape_classic_histograms/d' prometheus/prometheus.yml")
        .contains("# Prometheus 3.x: promtool check config prometheus/prometheus.yml");
  }

  private static boolean isKnown(String name, Set<String> served, Set<String> recorded) {
    if (served.contains(name)
        || recorded.stream().anyMatch(r -> r.equals(name) || r.startsWith(name + "_"))
        || CONDITIONAL_METRICS.keySet().stream().anyMatch(name::startsWith)) {
      return true;
    }
    for (String suffix : List.of("_bucket", "_count", "_sum", "_total", "_created", "_info")) {
      if (name.endsWith(suffix)) {
        String family = name.substring(0, name.length() - suffix.length());
        if (served.contains(family) || CONDITIONAL_METRICS.containsKey(family)) {
          return true;
        }
      }
    }
    // A family named without its suffix (`jvm_memory_used_bytes` is,
    // `http_server_request_duration_seconds` too).
    return served.stream().anyMatch(s -> s.startsWith(name + "_"))
        || CONDITIONAL_METRICS.keySet().stream().anyMatch(c -> c.startsWith(name));
  }

  /** Sample names and the families of its # TYPE lines. */
  private static Set<String> sampleNames(String scrape) {
    Set<String> names = new TreeSet<>();
    for (String line : scrape.lines().toList()) {
      if (line.startsWith("# TYPE ")) {
        names.add(line.split(" ")[2]);
      } else if (!line.startsWith("#") && !line.isBlank()) {
        names.add(line.split("[{ ]")[0]);
      }
    }
    return names;
  }

  /** The label names of a scrape's samples ({@code process_pid} on target_info, ...). */
  private static Set<String> labelNames(String scrape) {
    Set<String> names = new TreeSet<>();
    Matcher label = Pattern.compile("[{,]([a-zA-Z_][a-zA-Z0-9_]*)=\"").matcher(scrape);
    while (label.find()) {
      names.add(label.group(1));
    }
    return names;
  }

  /** What the rules in prometheus/ record, and the series their tests feed them. */
  private static Set<String> ruleOutputs() throws IOException {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.walk(ROOT.resolve("prometheus"))) {
      for (Path file : files.filter(p -> p.toString().endsWith(".rules.yml")).toList()) {
        Matcher record = Pattern.compile("record:\\s*(\\S+)").matcher(Files.readString(file));
        while (record.find()) {
          names.add(record.group(1));
        }
      }
    }
    return names;
  }

  /** The members of a JSON object, whose order JSON leaves open (and the app's maps vary). */
  private static Map<String, String> members(String json) {
    Map<String, String> members = new java.util.TreeMap<>();
    Matcher member =
        Pattern.compile("\"(\\w+)\":(\"[^\"]*\"|\\{[^}]*}|[^,}]+)").matcher(json.strip());
    while (member.find()) {
      members.put(member.group(1), member.group(2));
    }
    assertThat(members).as("members of " + json).isNotEmpty();
    return members;
  }

  private static int alerts(String file) throws IOException {
    return (int)
        Files.readAllLines(ROOT.resolve(file)).stream()
            .filter(l -> l.strip().startsWith("- alert:"))
            .count();
  }

  /** compose.yaml's services and their profiles, read line by line (two-space indentation). */
  private static Map<String, List<String>> composeServices() throws IOException {
    Map<String, List<String>> services = new LinkedHashMap<>();
    boolean inServices = false;
    String current = null;
    for (String line : Files.readAllLines(ROOT.resolve("compose.yaml"))) {
      if (!line.startsWith(" ") && !line.isBlank() && !line.startsWith("#")) {
        inServices = line.startsWith("services:");
        current = null;
        continue;
      }
      Matcher service = Pattern.compile("^  ([a-z][a-z0-9-]*):\\s*$").matcher(line);
      if (inServices && service.matches()) {
        current = service.group(1);
        services.put(current, new ArrayList<>());
      }
      Matcher profiles = Pattern.compile("^    profiles:\\s*\\[(.*)]").matcher(line);
      if (inServices && current != null && profiles.find()) {
        for (String profile : profiles.group(1).split(",")) {
          services.get(current).add(profile.strip().replace("\"", "").replace("'", ""));
        }
      }
    }
    assertThat(services).as("services of compose.yaml").isNotEmpty();
    return services;
  }

  /** Host ports compose.yaml publishes, with the defaults of their variables. */
  private static Set<String> composeHostPorts() throws IOException {
    Set<String> ports = new TreeSet<>();
    Matcher published =
        Pattern.compile("\"?127\\.0\\.0\\.1:(?:\\$\\{\\w+:-)?(\\d+)}?:\\d+")
            .matcher(Files.readString(ROOT.resolve("compose.yaml")));
    while (published.find()) {
      ports.add(published.group(1));
    }
    return ports;
  }

  private static boolean exists(String path) throws IOException {
    if (!path.contains("*")) {
      return Files.exists(ROOT.resolve(path));
    }
    PathMatcher glob = FileSystems.getDefault().getPathMatcher("glob:" + path);
    try (Stream<Path> files = Files.walk(ROOT.resolve(path.substring(0, path.indexOf('/'))))) {
      return files.anyMatch(f -> glob.matches(ROOT.relativize(f)));
    }
  }

  private static String allDocs() throws IOException {
    StringBuilder all = new StringBuilder();
    for (Path doc : DocBlock.files(ROOT)) {
      all.append(Files.readString(doc)).append('\n');
    }
    return all.toString();
  }

  private static int number(String word) {
    List<String> words =
        List.of(
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve");
    return words.indexOf(word);
  }

  private static int ordinal(String word) {
    List<String> words =
        List.of(
            "zeroth",
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth");
    return words.indexOf(word);
  }

  private static Map<String, String> conditional(String... pairs) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put(pairs[i], pairs[i + 1]);
    }
    return map;
  }

  private static void report(String what, int checked) {
    System.out.println("DocsClaimsTest: " + checked + " " + what + " checked");
    assertThat(checked).as(what + " found in the docs").isPositive();
  }

  private static String api(String path) {
    return "http://127.0.0.1:" + PORTS.api() + path;
  }

  private static String prometheus(String path) {
    return "http://127.0.0.1:" + PORTS.prometheus() + path;
  }

  private static HttpResponse<String> request(String method, String url, String json) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      request.header("Content-Type", "application/json");
    }
    try {
      return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + url + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(method + " " + url + " interrupted", e);
    }
  }
}
