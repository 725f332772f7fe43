package io.ktrdr.app;

import static io.ktrdr.app.testing.Cluster.asWorker;
import static io.ktrdr.app.testing.Cluster.json;
import static io.ktrdr.app.testing.Cluster.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.http.ServerSetup;
import io.ktrdr.app.testing.AppProcess;
import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.telemetry.testing.Scrape;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * The attack suite: hostile requests and injected faults against the packaged jar running as
 * separate processes (an API on a file database, a backtesting worker), each asserting the status,
 * that nothing is lost, and that the API keeps answering with bounded threads. See docs/security.md
 * for each attack and its result before and after the fixes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AttackIT {
  private static final String BACKTEST = "{\"symbol\":\"AAPL\",\"timeframe\":\"1d\"}";
  private static final String SLOW_BACKTEST = "{\"symbol\":\"BTCUSD\",\"timeframe\":\"1h\"}";

  private static Path directory;
  private static int apiPort;
  private static int workerPort;
  private static Map<String, String> apiEnv;
  private static Map<String, String> workerEnv;
  private static AppProcess api;
  private static AppProcess worker;

  @BeforeAll
  static void start() throws Exception {
    directory = Files.createTempDirectory("ktrdr-attack-");
    apiPort = PrometheusProcess.freePort();
    workerPort = PrometheusProcess.freePort();
    apiEnv = new HashMap<>();
    apiEnv.put("KTRDR_PORT", Integer.toString(apiPort));
    apiEnv.put(
        "KTRDR_DATABASE_URL", "jdbc:h2:file:" + directory.resolve("db") + ";DB_CLOSE_DELAY=-1");
    apiEnv.put("KTRDR_WORKER_HEALTH_INTERVAL_MS", "200");
    // A restarted worker is back long before 50 failed checks: it is recognized by its instance.
    apiEnv.put("KTRDR_WORKER_FAILURES_UNAVAILABLE", "50");
    apiEnv.put("KTRDR_WORKER_FAILURES_FORGET", "1000");
    apiEnv.put("KTRDR_OPERATION_RECONCILE_MS", "3000");
    apiEnv.put("KTRDR_HTTP_IDLE_TIMEOUT_MS", "3000");
    workerEnv = new HashMap<>();
    workerEnv.put("KTRDR_ROLE", "worker");
    workerEnv.put("KTRDR_PORT", Integer.toString(workerPort));
    workerEnv.put("KTRDR_WORKER_ID", "attack-worker-1");
    workerEnv.put("KTRDR_API_URL", "http://127.0.0.1:" + apiPort);
    workerEnv.put("KTRDR_WORKER_HEARTBEAT_MS", "200");
    workerEnv.put("KTRDR_SIMULATION_STEP_DELAY_MS", "2");
    api = AppProcess.start("api", apiEnv, directory);
    awaitReady();
    worker = startWorker("worker");
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
    if (api != null) {
      api.close();
    }
  }

  /** Starts the worker and waits until the API lists this very process as available. */
  private static AppProcess startWorker(String name) {
    AppProcess process = AppProcess.start(name, workerEnv, directory);
    await(
        "worker " + name + " registered",
        () -> {
          String instance =
              json(send("GET", "http://127.0.0.1:" + workerPort + "/health", null))
                  .get("instance_id")
                  .asString();
          for (JsonNode listed : json(get("/api/v1/workers")).get("workers")) {
            if (listed.get("instance_id").asString().equals(instance)
                && listed.get("status").asString().equals("available")) {
              return true;
            }
          }
          return false;
        },
        Duration.ofSeconds(30));
    return process;
  }

  private static void awaitReady() {
    await(
        "API ready", () -> get("/api/v1/health/ready").statusCode() == 200, Duration.ofSeconds(40));
  }

  private static String url(String path) {
    return "http://127.0.0.1:" + apiPort + path;
  }

  private static HttpResponse<String> get(String path) {
    return send("GET", url(path), null);
  }

  private static HttpResponse<String> post(String path, String body, String... headers) {
    return send("POST", url(path), body, headers);
  }

  private static void await(String what, Supplier<Boolean> condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (condition.get()) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError(
        "timed out waiting for "
            + what
            + (last == null ? "" : ": " + last)
            + "\napi log:\n"
            + tail(api));
  }

  private static String tail(AppProcess process) {
    String log = process == null ? "" : process.log();
    return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
  }

  private static JsonNode awaitOperation(String id, String status, Duration timeout) {
    JsonNode[] last = new JsonNode[1];
    await(
        "operation " + id + " " + status,
        () -> {
          last[0] = json(get("/api/v1/operations/" + id));
          return status.equals(last[0].get("status").asString());
        },
        timeout);
    return last[0];
  }

  private static double metric(String name, Map<String, String> labels) {
    return Scrape.parse(get("/metrics").body()).value(name, labels);
  }

  private static double threads() {
    return Scrape.parse(get("/metrics").body()).samples("jvm_threads_current").get(0).value();
  }

  private static String register(String workerId, String url) {
    return "{\"worker_id\":\""
        + workerId
        + "\",\"worker_type\":\"backtesting\",\"instance_id\":\"i-1\",\"url\":\""
        + url
        + "\"}";
  }

  @Test
  void selfRegistrationIsRefusedAndNothingLoops() {
    double before = threads();
    for (String self :
        List.of(
            "http://127.0.0.1:" + apiPort,
            "http://localhost:" + apiPort,
            "http://127.0.0.1:" + apiPort + "/api/v1")) {
      HttpResponse<String> response =
          post("/api/v1/workers/register", register("self", self), asWorker("self"));
      assertThat(response.statusCode()).as(self).isIn(400, 403);
      assertThat(json(response).propertyNames()).containsExactly("error", "message");
    }
    assertThat(json(get("/api/v1/workers")).get("workers").findValuesAsString("worker_id"))
        .doesNotContain("self");
    assertThat(threads()).isLessThan(before + 20);
  }

  @Test
  void registrationWithoutTheSecretIs401AndCounted() {
    String body = register("intruder", "http://127.0.0.1:9");
    HttpResponse<String> missing = post("/api/v1/workers/register", body);
    HttpResponse<String> wrong =
        post(
            "/api/v1/workers/register",
            body,
            "Authorization",
            "Bearer not-the-secret-at-all-0123456789");

    assertThat(missing.statusCode()).isEqualTo(401);
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(missing.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(json(wrong).get("error").asString()).isEqualTo("unauthorized");
    assertThat(wrong.body()).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(metric("ktrdr_auth_failures_total", Map.of("realm", "cluster", "reason", "missing")))
        .isGreaterThanOrEqualTo(1);
    assertThat(metric("ktrdr_auth_failures_total", Map.of("realm", "cluster", "reason", "invalid")))
        .isGreaterThanOrEqualTo(1);
    assertThat(json(get("/api/v1/workers")).get("workers").findValuesAsString("worker_id"))
        .doesNotContain("intruder");
  }

  @Test
  void forgedProgressIsRefusedAndTheRealResultStands() {
    String id = json(post("/api/v1/backtests/start", SLOW_BACKTEST)).get("operation_id").asString();
    String forged =
        "{\"status\":\"completed\",\"progress\":1,\"result\":{\"total_return_pct\":9999}}";

    assertThat(post("/api/v1/operations/" + id + "/progress", forged).statusCode()).isEqualTo(401);
    HttpResponse<String> otherWorker =
        post("/api/v1/operations/" + id + "/progress", forged, asWorker("someone-else"));
    assertThat(otherWorker.statusCode()).isEqualTo(403);
    assertThat(json(otherWorker).get("error").asString()).isEqualTo("forbidden");

    JsonNode done = awaitOperation(id, "completed", Duration.ofSeconds(60));
    assertThat(done.at("/result/total_return_pct").asDouble()).isNotEqualTo(9999);
  }

  @Test
  void aWorkerTakesWorkOnlyFromTheApi() {
    String body = "{\"operation_id\":\"op_backtest_0123456789ab\",\"symbol\":\"AAPL\"}";
    HttpResponse<String> direct =
        send("POST", "http://127.0.0.1:" + workerPort + "/backtests/start", body);
    HttpResponse<String> cancel =
        send(
            "DELETE",
            "http://127.0.0.1:" + workerPort + "/operations/op_backtest_0123456789ab",
            null);
    HttpResponse<String> invalid =
        send(
            "POST",
            "http://127.0.0.1:" + workerPort + "/backtests/start",
            "{\"operation_id\":\"op_backtest_0123456789ab\",\"symbol\":\"AAPL\",\"fast_period\":-1}",
            "Authorization",
            "Bearer " + AppProcess.TEST_CLUSTER_SECRET);

    assertThat(direct.statusCode()).isEqualTo(401);
    assertThat(cancel.statusCode()).isEqualTo(401);
    // The worker validates what it gets as the API would.
    assertThat(invalid.statusCode()).isEqualTo(400);
    assertThat(json(invalid).get("message").asString())
        .isEqualTo("fast_period must be between 1 and 200, was -1");
  }

  @Test
  void browsersCannotChangeState() {
    HttpResponse<String> textPlain =
        send("POST", url("/api/v1/backtests/start"), BACKTEST, "Content-Type", "text/plain");
    HttpResponse<String> crossSite =
        send("POST", url("/api/v1/backtests/start"), BACKTEST, "Origin", "http://evil.example");
    HttpResponse<String> rebinding =
        rawStatus(
            "DELETE /api/v1/operations/x HTTP/1.1\r\nHost: evil.example:"
                + apiPort
                + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

    assertThat(textPlain.statusCode()).isEqualTo(415);
    assertThat(crossSite.statusCode()).isEqualTo(403);
    assertThat(rebinding.statusCode()).isEqualTo(403);
    // HTTP/1.0 needs no Host header: refused all the same, not a 500.
    HttpResponse<String> noHost =
        rawStatus("DELETE /api/v1/operations/x HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
    assertThat(noHost.statusCode()).isEqualTo(403);
  }

  @Test
  void oversizedAndHostileWebhooksAreBounded() {
    String huge = "{\"alerts\":[{\"labels\":{\"alertname\":\"" + "A".repeat(300_000) + "\"}}]}";
    assertThat(post("/api/v1/alerts", huge).statusCode()).isEqualTo(413);

    StringBuilder many = new StringBuilder("{\"alerts\":[");
    for (int i = 0; i < 120; i++) {
      many.append(i == 0 ? "" : ",")
          .append("{\"status\":\"firing\",\"labels\":{\"alertname\":\"Flood")
          .append(i)
          .append("\",\"severity\":\"")
          .append("x".repeat(50))
          .append("\"}}");
    }
    many.append("]}");
    assertThat(post("/api/v1/alerts", many.toString()).statusCode()).isEqualTo(200);

    List<Scrape.Sample> series =
        Scrape.parse(get("/metrics").body()).samples("ktrdr_alerts_received_total");
    assertThat(series.size()).isLessThanOrEqualTo(60);
    assertThat(series)
        .isNotEmpty()
        .allSatisfy(
            s ->
                assertThat(s.label("severity"))
                    .isIn("critical", "warning", "info", "none", "other"));
    assertThat(get("/api/v1/health").statusCode()).isEqualTo(200);
  }

  @Test
  void threeHundredSlowBodiesDoNotStopTheApi() throws Exception {
    double before = threads();
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 300; i++) {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), apiPort);
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(
            ("POST /api/v1/backtests/start HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        sockets.add(socket);
      }
      long started = System.nanoTime();
      HttpResponse<String> health = get("/api/v1/health");
      long millis = (System.nanoTime() - started) / 1_000_000;
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(millis).as("health answered in ms").isLessThan(3000);
      assertThat(threads()).isLessThan(before + ServerSetup.MAX_THREADS);
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
    // Threads stay bounded once the connections are gone, and an aborted body is a client error.
    assertThat(threads()).isLessThan(before + ServerSetup.MAX_THREADS);
    Scrape scrape = Scrape.parse(get("/metrics").body());
    assertThat(
            scrape.samples(
                "http_server_request_duration_seconds_count",
                s ->
                    s.label("http_response_status_code") != null
                        && s.label("http_response_status_code").startsWith("5")
                        && "/api/v1/backtests/start".equals(s.label("http_route"))))
        // None at all is fine: only a 5xx other than 503 fails.
        .filteredOn(s -> !"503".equals(s.label("http_response_status_code")))
        .isEmpty();
  }

  @Test
  void idleConnectionsAndSlowHeadersAreClosed() throws Exception {
    for (String sent : List.of("", "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")) {
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), apiPort)) {
        socket.setSoTimeout(15_000);
        socket.getOutputStream().write(sent.getBytes(StandardCharsets.US_ASCII));
        long started = System.nanoTime();
        // KTRDR_HTTP_IDLE_TIMEOUT_MS is 3000 here: the server closes, the read sees the end.
        assertThat(socket.getInputStream().read()).isEqualTo(-1);
        assertThat((System.nanoTime() - started) / 1_000_000).isBetween(2000L, 10_000L);
      }
    }
  }

  @Test
  void errorsBeforeRoutingAreJson() {
    HttpResponse<String> header =
        rawStatus(
            "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
                + "a".repeat(20_000)
                + "\r\nConnection: close\r\n\r\n");
    HttpResponse<String> uri =
        rawStatus("GET /api/v1/%zz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assertThat(header.statusCode()).isEqualTo(431);
    assertThat(header.body()).startsWith("{\"error\":\"header_too_large\"");
    assertThat(uri.statusCode()).isEqualTo(400);
    assertThat(uri.body()).startsWith("{\"error\":\"bad_request\"").doesNotContain("<html");
  }

  /** Sends raw bytes; the status and body of the answer (as a fake HttpResponse). */
  private static HttpResponse<String> rawStatus(String request) {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), apiPort)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      int status = Integer.parseInt(response.substring(9, 12));
      int split = response.indexOf("\r\n\r\n");
      String body = split < 0 ? "" : response.substring(split + 4);
      if (response.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
        body = body.substring(body.indexOf("\r\n") + 2);
      }
      return new RawResponse(status, body);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aPasswordInTheDatabaseUrlNeverReachesALogOrAResponse() throws Exception {
    int port = PrometheusProcess.freePort();
    int closed = PrometheusProcess.freePort();
    Map<String, String> env = new HashMap<>();
    env.put("KTRDR_PORT", Integer.toString(port));
    env.put(
        "KTRDR_DATABASE_URL",
        "jdbc:postgresql://127.0.0.1:" + closed + "/ktrdr?user=ktrdr&password=hunter2-in-url");
    env.put("KTRDR_DATABASE_PASSWORD", "hunter3-in-variable");
    try (AppProcess broken = AppProcess.start("api-bad-db", env, directory)) {
      String base = "http://127.0.0.1:" + port;
      await(
          "API answering",
          () -> send("GET", base + "/api/v1/health", null).statusCode() == 200,
          Duration.ofSeconds(40));
      await(
          "the database failure logged",
          () -> broken.log().contains("Database initialization failed"),
          Duration.ofSeconds(40));
      HttpResponse<String> ready = send("GET", base + "/api/v1/health/ready", null);
      HttpResponse<String> list = send("GET", base + "/api/v1/operations", null);

      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(list.statusCode()).isEqualTo(503);
      for (String text : List.of(broken.log(), ready.body(), list.body())) {
        assertThat(text).doesNotContain("hunter2").doesNotContain("hunter3");
      }
    }
  }

  @Test
  void sigtermStopsTheApiWellInsideComposeGracePeriod() throws Exception {
    int port = PrometheusProcess.freePort();
    Map<String, String> env = new HashMap<>();
    env.put("KTRDR_PORT", Integer.toString(port));
    // A collector that is not there: the telemetry must not hold the exit.
    env.put("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + PrometheusProcess.freePort());
    try (AppProcess app = AppProcess.start("api-sigterm", env, directory)) {
      String base = "http://127.0.0.1:" + port;
      await(
          "API answering",
          () -> send("GET", base + "/api/v1/data/timeframes", null).statusCode() == 200,
          Duration.ofSeconds(40));
      long started = System.nanoTime();
      app.close(); // SIGTERM
      long millis = (System.nanoTime() - started) / 1_000_000;
      // Docker's default grace period is 10 s; compose sets none.
      assertThat(millis).as(app.log()).isLessThan(6000);
      assertThat(app.log()).contains("Stopping");
    }
  }

  @Test
  @Order(100)
  void apiRestartLosesNothingAndWorkersComeBackByThemselves() {
    String id = json(post("/api/v1/backtests/start", SLOW_BACKTEST)).get("operation_id").asString();
    await(
        "operation " + id + " simulating",
        () -> json(get("/api/v1/operations/" + id)).get("progress").asDouble() > 0.2,
        Duration.ofSeconds(30));

    api.kill();
    api = AppProcess.start("api-restarted", apiEnv, directory);
    awaitReady();

    // The operation survived, the worker registered again by itself, and the result arrived.
    JsonNode done = awaitOperation(id, "completed", Duration.ofSeconds(90));
    assertThat(done.get("worker_id").asString()).isEqualTo("attack-worker-1");
    await(
        "worker back",
        () ->
            json(get("/api/v1/workers"))
                .get("workers")
                .findValuesAsString("worker_id")
                .contains("attack-worker-1"),
        Duration.ofSeconds(20));
  }

  @Test
  @Order(101)
  void aWorkerRestartedWithTheSameIdFailsItsOldOperationQuickly() {
    String id = json(post("/api/v1/backtests/start", SLOW_BACKTEST)).get("operation_id").asString();
    awaitOperation(id, "running", Duration.ofSeconds(20));

    worker.kill();
    worker = startWorker("worker-restarted");

    JsonNode done = awaitOperation(id, "failed", Duration.ofSeconds(20));
    assertThat(done.get("error").asString())
        .isEqualTo("Worker attack-worker-1 restarted; the operation was lost");
    // The restarted worker takes new work.
    String next = json(post("/api/v1/backtests/start", BACKTEST)).get("operation_id").asString();
    awaitOperation(next, "completed", Duration.ofSeconds(60));
  }

  @Test
  void listsArePaginated() {
    JsonNode page = json(get("/api/v1/operations?limit=1"));
    assertThat(page.get("operations").size()).isLessThanOrEqualTo(1);
    assertThat(page.get("limit").asInt()).isEqualTo(1);
    assertThat(get("/api/v1/operations?limit=100000").statusCode()).isEqualTo(400);
  }

  // Issue 19's cases, against the packaged jar (each also has an in-process test, named in
  // docs/security.md).

  /** The value of a counter, or 0 when the series is not there (yet, or on older code). */
  private static double counter(String name, Map<String, String> labels) {
    List<Scrape.Sample> matching =
        Scrape.parse(get("/metrics").body())
            .samples(name, s -> s.labels().entrySet().containsAll(labels.entrySet()));
    return matching.isEmpty() ? 0 : matching.get(0).value();
  }

  @Test
  @Order(200)
  void numbersBeyondTheirRangeAre400WithoutAStackTraceInTheLog() {
    HttpResponse<String> offset = get("/api/v1/workers?offset=2147483647");
    assertThat(offset.statusCode()).as(offset.body()).isEqualTo(400);
    assertThat(json(offset).get("message").asString())
        .isEqualTo("offset must be an integer from 0 to 1000000, was 2147483647");
    HttpResponse<String> body =
        post(
            "/api/v1/backtests/start",
            "{\"symbol\":\"AAPL\",\"timeframe\":\"1d\",\"slow_period\":2147483648}");
    assertThat(body.statusCode()).as(body.body()).isEqualTo(400);
    assertThat(json(body).get("message").asString()).contains("slow_period").contains("2 to 400");

    int logged = api.log().length();
    for (int i = 0; i < 200; i++) {
      assertThat(get("/api/v1/workers?offset=2147483647").statusCode()).isEqualTo(400);
    }
    // The API logs JSON lines: a stack trace would be a stack_trace field, an error "ERROR".
    String added = api.log().substring(logged);
    assertThat(added).doesNotContain("\"ERROR\"").doesNotContain("stack_trace");
    System.out.printf(
        "AttackIT: 200 out-of-range requests added %d bytes to the API's log%n", added.length());
  }

  @Test
  @Order(201)
  void textLogsCannotBeForgedAndTheStartUpLineNamesNoUser() throws Exception {
    int port = PrometheusProcess.freePort();
    Map<String, String> env = new HashMap<>();
    env.put("KTRDR_PORT", Integer.toString(port));
    env.put(
        "KTRDR_DATABASE_URL",
        "jdbc:h2:file:" + directory.resolve("db-text") + ";DB_CLOSE_DELAY=-1");
    env.put("KTRDR_LOG_FORMAT", "text");
    env.put("KTRDR_METRICS_USERNAME", "scraper-user-4711");
    env.put("KTRDR_METRICS_PASSWORD", "scraper-password-4711-0123456789");
    try (AppProcess app = AppProcess.start("api-text-log", env, directory)) {
      String base = "http://127.0.0.1:" + port;
      await(
          "API answering",
          () -> send("GET", base + "/api/v1/health", null).statusCode() == 200,
          Duration.ofSeconds(40));
      String alert =
          "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":"
              + "\"Q\\\" severity=\\\"critical\\\" forged_kv=\\\"1\\u2028after-separator\\n"
              + "after-newline\",\"severity\":\"warning\"}}]}";
      assertThat(send("POST", base + "/api/v1/alerts", alert).statusCode()).isEqualTo(200);
      await("the alert logged", () -> app.log().contains("after-newline"), Duration.ofSeconds(10));

      String log = app.log();
      List<String> lines = log.lines().filter(l -> l.contains("forged_kv")).toList();
      assertThat(lines).as(log).hasSize(1);
      String line = lines.get(0);
      assertThat(line)
          .contains("after-separator")
          .contains("after-newline")
          .doesNotContain("\u2028")
          .contains(" alertname=\"Q\\\" severity=\\\"critical\\\" forged_kv=\\\"1\\u2028");
      // Nothing on the line, message included, carries a forged pair: the caller's text is only
      // in escaped key-value fields.
      assertThat(line)
          .contains(" - Alert firing ")
          .doesNotContain("forged_kv=\"1")
          .doesNotContain("severity=\"critical\"");
      List<String> ready = log.lines().filter(l -> l.contains("Telemetry ready")).toList();
      assertThat(ready).as(log).hasSize(1);
      assertThat(ready.get(0)).contains("metrics auth=basic");
      assertThat(log).doesNotContain("scraper-user-4711").doesNotContain("scraper-password");
    }
  }

  @Test
  @Order(202)
  void callersCannotSetTheTraceOrSendBaggageToTheWorkers() {
    String callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    String traceparent = "00-" + callerTrace + "-00f067aa0ba902b7-01";
    StringBuilder baggage = new StringBuilder();
    for (int i = 0; i < 64; i++) {
      baggage.append(i == 0 ? "" : ",").append("k").append(i).append("=value-").append(i);
    }
    double droppedBefore =
        counter("ktrdr_telemetry_propagation_dropped_total", Map.of("field", "baggage"));

    HttpResponse<String> started =
        post(
            "/api/v1/backtests/start",
            BACKTEST,
            "traceparent",
            traceparent,
            "baggage",
            baggage.toString());
    assertThat(started.statusCode()).as(started.body()).isIn(200, 202);
    String id = json(started).get("operation_id").asString();
    JsonNode stored = json(get("/api/v1/operations/" + id));
    assertThat(stored.path("trace_id").asString()).isNotEqualTo(callerTrace);
    for (int i = 1; i < 100; i++) {
      HttpResponse<String> response =
          send(
              "GET",
              url("/api/v1/operations?limit=1"),
              null,
              "traceparent",
              traceparent,
              "baggage",
              baggage.toString());
      assertThat(response.statusCode()).isEqualTo(200);
    }

    double dropped =
        counter("ktrdr_telemetry_propagation_dropped_total", Map.of("field", "baggage"))
            - droppedBefore;
    System.out.printf("AttackIT: 100 requests of 64 baggage entries: %.0f dropped%n", dropped);
    // Every entry of every request is dropped at the edge: none is forwarded to the worker.
    assertThat(dropped).isGreaterThanOrEqualTo(100 * 64);
    awaitOperation(id, "completed", Duration.ofSeconds(60));
  }

  @Test
  @Order(203)
  void aFloodOfScrapesIsRefusedAndHealthKeepsItsLatency() throws Exception {
    int requests = 40;
    for (int i = 0; i < 50; i++) {
      get("/api/v1/health"); // warm up
    }
    long[] baseline = new long[requests];
    for (int i = 0; i < requests; i++) {
      baseline[i] = timedHealth();
    }
    double busyBefore = counter("ktrdr_telemetry_scrapes_rejected_total", Map.of("reason", "busy"));
    java.net.http.HttpClient scraper =
        java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    List<java.util.concurrent.CompletableFuture<HttpResponse<byte[]>>> scrapes = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      scrapes.add(
          scraper
              .sendAsync(
                  java.net.http.HttpRequest.newBuilder(java.net.URI.create(url("/metrics")))
                      .header(
                          "Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8")
                      .header("Accept-Encoding", "gzip")
                      .timeout(Duration.ofSeconds(30))
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray())
              .exceptionally(failure -> null));
    }
    long[] during = new long[requests];
    for (int i = 0; i < requests; i++) {
      during[i] = timedHealth();
    }
    List<HttpResponse<byte[]>> answered = new ArrayList<>();
    for (java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> scrape : scrapes) {
      answered.add(scrape.get(40, java.util.concurrent.TimeUnit.SECONDS));
    }
    java.util.Arrays.sort(baseline);
    java.util.Arrays.sort(during);
    List<HttpResponse<byte[]>> refused =
        answered.stream().filter(r -> r != null && r.statusCode() == 503).toList();
    System.out.printf(
        "AttackIT: health p50 %d ms, max %d ms before; max %d ms during 400 scrapes: %s%n",
        baseline[requests / 2] / 1_000_000,
        baseline[requests - 1] / 1_000_000,
        during[requests - 1] / 1_000_000,
        answered.stream()
            .collect(
                java.util.stream.Collectors.groupingBy(
                    r -> r == null ? -1 : r.statusCode(), java.util.stream.Collectors.counting())));

    assertThat(during[requests - 1])
        .as("health's slowest answer during the flood against its p50 before, in ns")
        .isLessThan(10 * baseline[requests / 2] + 1_000_000_000L);
    assertThat(answered)
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r).isNotNull())
        .allSatisfy(r -> assertThat(r.statusCode()).isIn(200, 503));
    assertThat(refused)
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r.headers().firstValue("Retry-After")).isPresent());
    assertThat(counter("ktrdr_telemetry_scrapes_rejected_total", Map.of("reason", "busy")))
        .isGreaterThan(busyBefore);
  }

  private static long timedHealth() {
    long started = System.nanoTime();
    assertThat(get("/api/v1/health").statusCode()).isEqualTo(200);
    return System.nanoTime() - started;
  }

  @Test
  @Order(204)
  void headersTrickledALineASecondAreCutAtTheIdleTimeout() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), apiPort)) {
      socket.setSoTimeout(25_000);
      OutputStream out = socket.getOutputStream();
      out.write("GET /api/v1/health HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long started = System.nanoTime();
      Thread trickle =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < 15; i++) {
                    out.write(("X-Trickle-" + i + ": a\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    Thread.sleep(1000);
                  }
                } catch (java.io.IOException | InterruptedException e) {
                  // Closed by the server (or by the test): the trickle ends.
                }
              });
      trickle.setDaemon(true);
      trickle.start();
      int read;
      try {
        read = socket.getInputStream().read();
      } catch (java.net.SocketException e) {
        read = -1; // a reset is a close too
      }
      long millis = (System.nanoTime() - started) / 1_000_000;
      trickle.interrupt();
      System.out.printf("AttackIT: trickled headers closed after %d ms%n", millis);
      // KTRDR_HTTP_IDLE_TIMEOUT_MS is 3000 here; the trickle would last 15 s.
      assertThat(read).isEqualTo(-1);
      assertThat(millis).isBetween(2000L, 6000L);
    }
  }

  /** A response read from a raw socket. */
  private record RawResponse(int statusCode, String body) implements HttpResponse<String> {
    @Override
    public java.net.http.HttpRequest request() {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.util.Optional<HttpResponse<String>> previousResponse() {
      return java.util.Optional.empty();
    }

    @Override
    public java.net.http.HttpHeaders headers() {
      return java.net.http.HttpHeaders.of(Map.of(), (a, b) -> true);
    }

    @Override
    public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
      return java.util.Optional.empty();
    }

    @Override
    public java.net.URI uri() {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.net.http.HttpClient.Version version() {
      return java.net.http.HttpClient.Version.HTTP_1_1;
    }
  }
}
