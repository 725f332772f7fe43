package io.ktrdr.app;

import static io.ktrdr.app.testing.Cluster.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.app.testing.AppProcess;
import io.ktrdr.app.testing.Cluster;
import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.telemetry.config.ConfigException;
import io.ktrdr.telemetry.config.EnvConfig;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/** The API's endpoints on a real socket, without workers. */
class ApiEndpointsTest {
  private static Cluster cluster;

  @BeforeAll
  static void start() {
    cluster = new Cluster(Map.of(), Map.of());
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void healthAndReadiness() {
    HttpResponse<String> health = cluster.api("GET", "/api/v1/health", null);
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(json(health).get("status").asString()).isEqualTo("ok");
    assertThat(json(health).get("version").asString())
        .isEqualTo(AppVersion.get())
        .isNotEqualTo("unknown");
    assertThat(json(cluster.api("GET", "/api/v1/health/ready", null)).get("status").asString())
        .isEqualTo("ready");
  }

  @Test
  void symbolsAndTimeframesComeFromTheDatabase() {
    JsonNode symbols = json(cluster.api("GET", "/api/v1/data/symbols", null)).get("symbols");
    assertThat(symbols.findValuesAsString("symbol"))
        .containsExactly("AAPL", "BTCUSD", "EURUSD", "MSFT", "SPY");
    assertThat(symbols.get(0).get("asset_class").asString()).isEqualTo("equity");
    assertThat(
            json(cluster.api("GET", "/api/v1/data/timeframes", null)).get("timeframes").toString())
        .isEqualTo("[\"1h\",\"1d\"]");
  }

  @Test
  void barsAreServedAndFilteredByDate() {
    JsonNode all = json(cluster.api("GET", "/api/v1/data/AAPL/1d", null));
    assertThat(all.get("count").asInt()).isEqualTo(520);
    JsonNode first = all.get("bars").get(0);
    assertThat(first.get("high").asDouble()).isGreaterThanOrEqualTo(first.get("low").asDouble());

    JsonNode january =
        json(cluster.api("GET", "/api/v1/data/AAPL/1d?start=2024-01-01&end=2024-01-31", null));
    assertThat(january.get("count").asInt()).isEqualTo(31);
    assertThat(january.get("bars").get(0).get("timestamp").asString())
        .isEqualTo("2024-01-01T00:00:00Z");

    JsonNode hourly = json(cluster.api("GET", "/api/v1/data/EURUSD/1h", null));
    assertThat(hourly.get("count").asInt()).isEqualTo(1440);
  }

  static Stream<Arguments> badRequests() {
    return Stream.of(
        Arguments.of("GET", "/api/v1/data/NOPE/1d", null, 404, "not_found", "Unknown symbol: NOPE"),
        Arguments.of(
            "GET",
            "/api/v1/data/AAPL/5m",
            null,
            400,
            "bad_request",
            "Invalid timeframe '5m': expected one of [1h, 1d]"),
        Arguments.of(
            "GET",
            "/api/v1/data/AAPL/1d?start=yesterday",
            null,
            400,
            "bad_request",
            "Invalid start 'yesterday': expected an ISO-8601 date (2024-01-31) or date-time"
                + " (2024-01-31T10:00:00Z)"),
        Arguments.of(
            "GET",
            "/api/v1/data/AAPL/1d?start=2024-02-01&end=2024-01-01",
            null,
            400,
            "bad_request",
            "start (2024-02-01T00:00:00Z) is after end (2024-01-01T00:00:00Z)"),
        Arguments.of(
            "POST",
            "/api/v1/backtests/start",
            "{\"symbol\": \"AAPL\",",
            400,
            "bad_request",
            "Malformed JSON at line 1, column 19"),
        Arguments.of(
            "POST",
            "/api/v1/backtests/start",
            "{\"symbol\":\"AAPL\",\"fast_period\":\"ten\"}",
            400,
            "bad_request",
            "Field 'fast_period' has the wrong type or value: expected an integer from 1 to 200"),
        Arguments.of(
            "POST",
            "/api/v1/backtests/start",
            "{\"symbol\":\"AAPL\",\"slow_period\":2147483648}",
            400,
            "bad_request",
            "Field 'slow_period' has the wrong type or value: expected an integer from 2 to 400"),
        Arguments.of(
            "GET",
            "/api/v1/workers?offset=2147483647",
            null,
            400,
            "bad_request",
            "offset must be an integer from 0 to 1000000, was 2147483647"),
        Arguments.of(
            "GET",
            "/api/v1/operations?limit=%D9%A3",
            null,
            400,
            "bad_request",
            "limit must be an integer from 1 to 500"),
        Arguments.of(
            "POST",
            "/api/v1/backtests/start",
            "{\"symbol\":\"AAPL\",\"fastperiod\":5}",
            400,
            "bad_request",
            "Unknown field 'fastperiod'"),
        Arguments.of(
            "GET",
            "/api/v1/data/AAPL/1d?start=%2B999999999-01-01T00:00:00Z",
            null,
            400,
            "bad_request",
            "start must be between 1970-01-01 and 2100-01-01, was +999999999-01-01T00:00:00Z"),
        Arguments.of(
            "GET",
            "/api/v1/data/AAPL/1d?end=2999-01-01",
            null,
            400,
            "bad_request",
            "end must be between 1970-01-01 and 2100-01-01, was 2999-01-01T00:00:00Z"),
        Arguments.of(
            "POST",
            "/api/v1/backtests/start",
            "{\"symbol\":\"AAPL\",\"start\":\"2024-12-30\"}",
            400,
            "bad_request",
            "Not enough bars: 2 1d bars of AAPL in the range, at least 31 needed"),
        Arguments.of(
            "POST",
            "/api/v1/backtests/start",
            "",
            400,
            "bad_request",
            "A JSON request body is required"),
        Arguments.of(
            "POST",
            "/api/v1/backtests/start",
            "{\"timeframe\":\"1d\"}",
            400,
            "bad_request",
            "symbol is required"),
        Arguments.of(
            "POST",
            "/api/v1/backtests/start",
            "{\"symbol\":\"ZZZ\"}",
            404,
            "not_found",
            "Unknown symbol: ZZZ"),
        Arguments.of(
            "POST",
            "/api/v1/backtests/start",
            "{\"symbol\":\"AAPL\",\"fast_period\":30,\"slow_period\":10}",
            400,
            "bad_request",
            "fast_period (30) must be smaller than slow_period (10)"),
        Arguments.of(
            "POST",
            "/api/v1/trainings/start",
            "{\"symbol\":\"AAPL\",\"epochs\":0}",
            400,
            "bad_request",
            "epochs must be between 1 and 1000, was 0"),
        Arguments.of(
            "POST",
            "/api/v1/trainings/start",
            "{\"symbol\":\"AAPL\",\"timeframe\":\"1w\"}",
            400,
            "bad_request",
            "Invalid timeframe '1w': expected one of [1h, 1d]"),
        Arguments.of(
            "GET",
            "/api/v1/operations/op_missing",
            null,
            404,
            "not_found",
            "Unknown operation: op_missing"),
        Arguments.of(
            "DELETE",
            "/api/v1/operations/op_missing",
            null,
            404,
            "not_found",
            "Unknown operation: op_missing"),
        Arguments.of(
            "GET",
            "/api/v1/nothing-here",
            null,
            404,
            "not_found",
            "Endpoint GET /api/v1/nothing-here not found"),
        Arguments.of(
            "PUT",
            "/api/v1/operations/op_x",
            "{}",
            405,
            "method_not_allowed",
            "Method PUT is not allowed here; allowed: GET, DELETE"));
  }

  @ParameterizedTest
  @MethodSource("badRequests")
  void badInputGetsAClearJsonErrorWithoutStackTrace(
      String method, String path, String body, int status, String error, String message) {
    HttpResponse<String> response = cluster.api(method, path, body);

    assertThat(response.statusCode()).isEqualTo(status);
    JsonNode json = json(response);
    assertThat(json.propertyNames()).containsExactly("error", "message");
    assertThat(json.get("error").asString()).isEqualTo(error);
    assertThat(json.get("message").asString()).isEqualTo(message);
    assertThat(response.body())
        .doesNotContain("\tat ")
        .doesNotContain("Exception")
        .doesNotContain("tools.jackson")
        .doesNotContain("io.ktrdr")
        .doesNotContain("`");
    if (status == 405) {
      assertThat(response.headers().firstValue("Allow")).hasValue("GET, DELETE");
    }
  }

  static Stream<Arguments> badRegistrations() {
    return Stream.of(
        Arguments.of(
            "{\"worker_id\":\"w1\",\"worker_type\":\"gpu\",\"instance_id\":\"i1\","
                + "\"url\":\"http://127.0.0.1:1\"}",
            400,
            "worker_type must be backtesting or training"),
        Arguments.of(
            "{\"worker_id\":\"w1\",\"worker_type\":\"training\",\"instance_id\":\"i1\","
                + "\"url\":\"ftp://x\"}",
            400,
            "url must use http or https"),
        Arguments.of(
            "{\"worker_id\":\"w1\",\"worker_type\":\"training\",\"instance_id\":\"i1\","
                + "\"url\":\"http://u:p@127.0.0.1:1\"}",
            400,
            "url must not carry user info"),
        Arguments.of(
            "{\"worker_id\":\"w1\",\"worker_type\":\"training\",\"instance_id\":\"i1\","
                + "\"url\":\"http://127.0.0.1:1/?next=x\"}",
            400,
            "url must not carry a query or a fragment"),
        Arguments.of(
            "{\"worker_id\":\"w1\",\"worker_type\":\"training\",\"instance_id\":\"i1\","
                + "\"url\":\"http://127.0.0.1:1/api/v1\"}",
            400,
            "url must not carry a path: the worker's routes are fixed"),
        Arguments.of(
            "{\"worker_id\":\"w1\",\"worker_type\":\"training\",\"instance_id\":\"i1\","
                + "\"url\":\"http://10.1.2.3:5003\"}",
            403,
            "url host is not allowed for workers; see KTRDR_WORKER_ALLOWED_HOSTS"));
  }

  @ParameterizedTest
  @MethodSource("badRegistrations")
  void workerUrlsAreValidated(String body, int status, String message) {
    HttpResponse<String> response =
        Cluster.send(
            "POST", cluster.apiUrl("/api/v1/workers/register"), body, Cluster.asWorker("w1"));

    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(json(response).get("message").asString()).isEqualTo(message);
  }

  @Test
  void withoutWorkersAStartIs503AndLeavesNothingBehind() {
    HttpResponse<String> response =
        cluster.api(
            "POST", "/api/v1/backtests/start", "{\"symbol\":\"AAPL\",\"timeframe\":\"1d\"}");

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(json(response).get("message").asString())
        .isEqualTo(
            "No backtesting worker is available (0 registered, 0 healthy, 0 busy, 0 unreachable);"
                + " try again later");
    assertThat(json(cluster.api("GET", "/api/v1/operations", null)).get("operations").size())
        .isZero();
  }

  @Test
  void workersCanRegisterAndAreListed() {
    String registration =
        "{\"worker_id\":\"listed-1\",\"worker_type\":\"training\",\"instance_id\":\"i-1\","
            + "\"url\":\"http://127.0.0.1:9/\"}";
    assertThat(cluster.api("POST", "/api/v1/workers/register", registration).statusCode())
        .isEqualTo(401);
    HttpResponse<String> response =
        Cluster.send(
            "POST",
            cluster.apiUrl("/api/v1/workers/register"),
            registration,
            Cluster.asWorker("listed-1"));

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode workers = json(cluster.api("GET", "/api/v1/workers", null)).get("workers");
    assertThat(workers.findValuesAsString("worker_id")).contains("listed-1");
    assertThat(workers.findValuesAsString("url")).contains("http://127.0.0.1:9");
  }

  static Stream<Arguments> invalidAppConfig() {
    return Stream.of(
        Arguments.of(
            Map.of("KTRDR_PORT", "eighty"), "KTRDR_PORT=eighty: expected a port number 0-65535"),
        Arguments.of(Map.of("KTRDR_ROLE", "db"), "KTRDR_ROLE=db: expected one of api, worker"),
        Arguments.of(
            Map.of("KTRDR_WORKER_TYPE", "gpu"),
            "KTRDR_WORKER_TYPE=gpu: expected one of backtesting, training"),
        Arguments.of(
            Map.of("KTRDR_API_URL", "localhost:8000"),
            "KTRDR_API_URL=localhost:8000: expected an http:// or https:// URL without user info,"
                + " query or fragment"),
        Arguments.of(
            Map.of("KTRDR_DATABASE_URL", "postgres://db"),
            "KTRDR_DATABASE_URL=postgres://db: expected a JDBC URL starting with jdbc:"),
        Arguments.of(
            Map.of("KTRDR_WORKER_ID", "bad id!"),
            "KTRDR_WORKER_ID=bad id!: expected 1-64 letters, digits, '.', '_' or '-'"),
        Arguments.of(
            Map.of("KTRDR_WORKER_HEALTH_INTERVAL_MS", "10"),
            "KTRDR_WORKER_HEALTH_INTERVAL_MS=10: expected milliseconds 50-600000"));
  }

  @ParameterizedTest
  @MethodSource("invalidAppConfig")
  void invalidAppConfigurationNamesTheKey(Map<String, String> env, String message) {
    assertThatThrownBy(() -> AppConfig.from(EnvConfig.of(AppProcess.withSecret(env))))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message);
  }

  @Test
  void defaultsBindLocalhost() {
    AppConfig api = AppConfig.from(EnvConfig.of(AppProcess.withSecret(Map.of())));
    AppConfig worker =
        AppConfig.from(EnvConfig.of(AppProcess.withSecret(Map.of("KTRDR_ROLE", "worker"))));

    assertThat(api.host()).isEqualTo("127.0.0.1");
    assertThat(api.port()).isEqualTo(8000);
    assertThat(worker.port()).isEqualTo(5003);
    assertThat(worker.workerUrl()).isEqualTo("http://127.0.0.1:5003");
    assertThat(worker.workerId()).startsWith("backtesting-5003-");
  }

  @Test
  void aMissingPrometheusBinaryFailsWithTheInstallCommand() {
    assertThatThrownBy(() -> PrometheusProcess.binary("no-such-prometheus-binary"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("scripts/install-test-deps.sh");
  }

  @Test
  void alertmanagerNotificationsAreLoggedAndCounted() {
    String payload =
        "{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"ktrdr-log\",\"alerts\":["
            + "{\"status\":\"firing\",\"labels\":{\"alertname\":\"KtrdrWorkerDown\","
            + "\"severity\":\"warning\",\"instance\":\"w:5003\"},\"annotations\":"
            + "{\"summary\":\"KTRDR worker w:5003 is down\",\"runbook_url\":"
            + "\"docs/alerts.md#ktrdrworkerdown\"},\"startsAt\":\"2026-11-25T00:00:00Z\"},"
            + "{\"status\":\"resolved\",\"labels\":{\"alertname\":\"KtrdrApiDown\","
            + "\"severity\":\"critical\"},\"annotations\":{}}]}";

    HttpResponse<String> response = cluster.api("POST", "/api/v1/alerts", payload);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response).get("received").asInt()).isEqualTo(2);
    io.ktrdr.telemetry.testing.Scrape scrape =
        io.ktrdr.telemetry.testing.Scrape.parse(cluster.api("GET", "/metrics", null).body());
    assertThat(
            scrape.value(
                "ktrdr_alerts_received_total",
                Map.of("alertname", "KtrdrWorkerDown", "severity", "warning", "status", "firing")))
        .isEqualTo(1);
    assertThat(
            scrape.value(
                "ktrdr_alerts_received_total",
                Map.of("alertname", "KtrdrApiDown", "status", "resolved")))
        .isEqualTo(1);
    assertThat(cluster.api("POST", "/api/v1/alerts", "{\"status\":\"firing\"}").statusCode())
        .isEqualTo(400);
  }

  @Test
  void metricsAreServedWithoutRedirect() {
    HttpResponse<String> response = cluster.api("GET", "/metrics", null);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body())
        .contains("service_name=\"ktrdr-api\"")
        .contains("ktrdr_workers_registered{")
        .contains("ktrdr_operations_lost_total{");
    assertThat(List.of(response.body().split("\n")))
        .filteredOn(l -> l.startsWith("ktrdr_workers_available{"))
        .hasSize(2);
  }
}
