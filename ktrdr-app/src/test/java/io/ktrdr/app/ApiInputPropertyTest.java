package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.AppProcess;
import io.ktrdr.app.testing.Cluster;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Generated values for every parameter of every route of the API and of a worker, on a real socket:
 * no input gives a server error. The API's routes and their query parameters come from its own
 * OpenAPI document, so a new route or parameter is covered as soon as it is documented; body fields
 * are the fields of each request type. Values: integers at the 32- and 64-bit edges, huge,
 * negative, fractional, non-numeric, unicode (other scripts' digits, line separators), empty, and
 * malformed percent-encodings.
 */
class ApiInputPropertyTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern PATH_PARAM = Pattern.compile("\\{([^}]+)}");

  /** Every try must be done within this time of the first: the whole run is bounded. */
  private static final Duration BUDGET = Duration.ofMinutes(4);

  /** The fields each request type reads (snake_case), by the route that takes it. */
  private static final Map<String, List<String>> BODY_FIELDS =
      Map.of(
          "/api/v1/backtests/start",
          fields("io.ktrdr.app.api.Requests$BacktestRequest"),
          "/api/v1/trainings/start",
          fields("io.ktrdr.app.api.Requests$TrainingRequest"),
          "/api/v1/workers/register",
          fields("io.ktrdr.app.api.Requests$RegisterRequest"),
          "/api/v1/workers/{id}/heartbeat",
          fields("io.ktrdr.app.api.Requests$Heartbeat"),
          "/api/v1/operations/{id}/progress",
          fields("io.ktrdr.app.api.Requests$ProgressReport"),
          "/api/v1/alerts",
          fields("io.ktrdr.app.api.AlertWebhook$Payload"));

  private static Cluster cluster;
  private static Cluster.WorkerHandle worker;
  private static List<Route> routes;
  private static long firstTry;

  /** One route, as documented: where it is served, its parameters and its example body. */
  record Route(
      int port,
      String method,
      String path,
      List<String> query,
      Map<String, String> example,
      List<String> fields,
      boolean cluster) {}

  /** One generated request. */
  record Call(Route route, String target, String body) {
    @Override
    public String toString() {
      return route.method() + " " + target + (body == null ? "" : " " + body);
    }
  }

  @BeforeContainer
  static void start() {
    cluster = new Cluster(Map.of(), Map.of());
    worker = cluster.startWorker("fuzz-backtester", "backtesting", Duration.ofMillis(1));
    routes = new ArrayList<>(apiRoutes());
    int workerPort = worker.server().port();
    List<String> backtest = new ArrayList<>(BODY_FIELDS.get("/api/v1/backtests/start"));
    backtest.add("operation_id");
    Map<String, String> example = new LinkedHashMap<>();
    example.put("operation_id", "\"op_backtest_0123456789ab\"");
    example.put("symbol", "\"AAPL\"");
    routes.add(new Route(workerPort, "GET", "/health", List.of(), Map.of(), List.of(), false));
    routes.add(
        new Route(workerPort, "POST", "/backtests/start", List.of(), example, backtest, true));
    routes.add(
        new Route(workerPort, "DELETE", "/operations/{id}", List.of(), Map.of(), List.of(), true));
    firstTry = System.nanoTime();
  }

  @AfterContainer
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Property(tries = 3000, shrinking = ShrinkingMode.BOUNDED)
  void noInputGivesAServerError(@ForAll("calls") Call call) {
    assertThat(Duration.ofNanos(System.nanoTime() - firstTry)).isLessThan(BUDGET);
    Answer answer = send(call);
    assertThat(answer.status()).as(call.toString()).isBetween(200, 599);
    if (answer.status() >= 500) {
      // The only 5xx a request may cause: the documented 503 (no worker free, worker busy).
      assertThat(answer.status()).as(call + " -> " + answer.body()).isEqualTo(503);
      assertThat(answer.body()).containsAnyOf("\"error\":\"unavailable\"", "\"error\":\"busy\"");
    }
    if (answer.status() >= 400) {
      assertThat(answer.body()).as(call.toString()).contains("\"error\":", "\"message\":");
    }
  }

  @Provide
  Arbitrary<Call> calls() {
    return Arbitraries.of(routes).flatMap(ApiInputPropertyTest::callsOf);
  }

  private static Arbitrary<Call> callsOf(Route route) {
    List<String> pathParams = new ArrayList<>();
    Matcher matcher = PATH_PARAM.matcher(route.path());
    while (matcher.find()) {
      pathParams.add(matcher.group(1));
    }
    List<Arbitrary<String>> parts = new ArrayList<>();
    pathParams.forEach(p -> parts.add(textValue()));
    route
        .query()
        .forEach(
            q ->
                parts.add(
                    Arbitraries.frequencyOf(
                        Tuple.of(3, textValue()), Tuple.of(1, Arbitraries.just(null)))));
    route.fields().forEach(f -> parts.add(fieldValue(route.example().get(f))));
    if (parts.isEmpty()) {
      return Arbitraries.just(new Call(route, route.path(), null));
    }
    return Combinators.combine(parts).as(values -> call(route, pathParams, values));
  }

  private static Call call(Route route, List<String> pathParams, List<String> values) {
    Iterator<String> value = values.iterator();
    String path = route.path();
    for (String name : pathParams) {
      path = path.replace("{" + name + "}", value.next());
    }
    StringBuilder query = new StringBuilder();
    for (String name : route.query()) {
      String v = value.next();
      if (v != null) {
        query.append(query.length() == 0 ? '?' : '&').append(name).append('=').append(v);
      }
    }
    String body = null;
    if (!route.fields().isEmpty()) {
      StringBuilder json = new StringBuilder("{");
      for (String name : route.fields()) {
        String v = value.next();
        if (v != null) {
          json.append(json.length() == 1 ? "" : ",").append('"').append(name).append("\":");
          json.append(v);
        }
      }
      body = json.append('}').toString();
    }
    return new Call(route, path + query, body);
  }

  /** A query or path value, percent-encoded (or deliberately malformed). */
  private static Arbitrary<String> textValue() {
    Arbitrary<String> numbers =
        Arbitraries.of(
            "0",
            "-1",
            "1",
            "500",
            "501",
            "1000000",
            "1000001",
            "2147483646",
            "2147483647",
            "2147483648",
            "-2147483648",
            "-2147483649",
            "9223372036854775807",
            "9223372036854775808");
    Arbitrary<String> nearEdges =
        Arbitraries.oneOf(
                Arbitraries.integers().between(Integer.MAX_VALUE - 1000, Integer.MAX_VALUE),
                Arbitraries.integers().between(Integer.MIN_VALUE, Integer.MIN_VALUE + 1000))
            .map(String::valueOf);
    Arbitrary<String> others =
        Arbitraries.of(
            "9".repeat(400),
            "1e400",
            "1.5",
            "-0",
            "+5",
            " 5",
            "5 ",
            "0x10",
            "NaN",
            "Infinity",
            "",
            "\u0663",
            "\uff15",
            "\u00b2",
            "5\u2028",
            "\u2029",
            "\u0085",
            "\r\n",
            "\u0000",
            "2024-01-01",
            "2024-02-30",
            "+999999999-12-31T23:59:59Z",
            "-999999999-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999999Z",
            "2100-01-01T00:00:00.000000001Z",
            "op_backtest_0123456789ab",
            "AAPL",
            "1d");
    Arbitrary<String> malformed =
        Arbitraries.of("%ZZ", "%", "%C0%80", "%FF%FE", "%00", "%E2%80%A8", "a%2Fb", "..%2F..");
    return Arbitraries.frequencyOf(
        Tuple.of(4, numbers),
        Tuple.of(2, nearEdges),
        Tuple.of(2, others.map(ApiInputPropertyTest::encode)),
        Tuple.of(1, Arbitraries.integers().map(String::valueOf)),
        Tuple.of(1, Arbitraries.longs().map(String::valueOf)),
        Tuple.of(1, Arbitraries.strings().all().ofMaxLength(40).map(ApiInputPropertyTest::encode)),
        Tuple.of(1, malformed));
  }

  /** A JSON body field: its example value, absent, or a hostile JSON value. */
  private static Arbitrary<String> fieldValue(String example) {
    Arbitrary<String> edges =
        Arbitraries.of(
            "0",
            "-1",
            "1",
            "2147483647",
            "2147483648",
            "-2147483648",
            "-2147483649",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775809",
            "9".repeat(400),
            "1e400",
            "-1e400",
            "1e-400",
            "4.9e-324",
            "1.7976931348623157e308",
            "1.5",
            "-0",
            "0.0",
            "null",
            "true",
            "[]",
            "{}",
            "[1,2]",
            "{\"a\":1}",
            "\"\"",
            "\"ten\"",
            "\"2147483648\"",
            "\"\\u2028\"",
            "\"\\u0000\"",
            "\"2024-01-01\"",
            "\"2024-02-30\"",
            "\"+999999999-12-31T23:59:59Z\"",
            "\"-999999999-01-01\"",
            "\"1969-12-31T23:59:59Z\"",
            "\"running\"",
            "\"backtesting\"");
    Arbitrary<String> hostile =
        Arbitraries.frequencyOf(
            Tuple.of(5, edges),
            Tuple.of(2, Arbitraries.integers().map(String::valueOf)),
            Tuple.of(2, Arbitraries.longs().map(String::valueOf)),
            Tuple.of(
                1,
                Arbitraries.doubles()
                    .filter(Double::isFinite)
                    .map(d -> Double.toString(d).replace("Infinity", "1e999"))),
            Tuple.of(
                2,
                Arbitraries.strings().all().ofMaxLength(40).map(s -> JSON.writeValueAsString(s))));
    Arbitrary<String> kept = example == null ? Arbitraries.just(null) : Arbitraries.just(example);
    return Arbitraries.frequencyOf(Tuple.of(3, hostile), Tuple.of(2, kept));
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** The API's routes from its OpenAPI document, each with its parameters and example body. */
  private static List<Route> apiRoutes() {
    Answer document = send(cluster.api.port(), "GET", "/api/v1/openapi.json", null, List.of());
    assertThat(document.status()).isEqualTo(200);
    JsonNode paths = JSON.readTree(document.body()).get("paths");
    List<Route> result = new ArrayList<>();
    for (Map.Entry<String, JsonNode> path : paths.properties()) {
      for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
        JsonNode op = operation.getValue();
        List<String> query = new ArrayList<>();
        for (JsonNode parameter : op.path("parameters")) {
          if ("query".equals(parameter.get("in").asString())) {
            query.add(parameter.get("name").asString());
          }
        }
        Map<String, String> example = new LinkedHashMap<>();
        JsonNode exampleBody =
            op.path("requestBody").path("content").path("application/json").path("example");
        exampleBody.properties().forEach(e -> example.put(e.getKey(), e.getValue().toString()));
        List<String> fields = List.of();
        if (op.has("requestBody")) {
          assertThat(BODY_FIELDS)
              .as("the request type of " + path.getKey())
              .containsKey(path.getKey());
          Set<String> all = new LinkedHashSet<>(BODY_FIELDS.get(path.getKey()));
          all.addAll(example.keySet());
          fields = List.copyOf(all);
        }
        boolean clusterAccess = op.path("security").toString().contains("clusterSecret");
        result.add(
            new Route(
                cluster.api.port(),
                operation.getKey().toUpperCase(java.util.Locale.ROOT),
                path.getKey(),
                query,
                example,
                fields,
                clusterAccess));
      }
    }
    assertThat(result).isNotEmpty();
    assertThat(result.stream().map(Route::path)).contains("/api/v1/workers", "/api/v1/operations");
    return result;
  }

  /** The snake_case names of a request record's components. */
  private static List<String> fields(String recordClass) {
    try {
      List<String> names = new ArrayList<>();
      for (var component : Class.forName(recordClass).getRecordComponents()) {
        names.add(
            component.getName().replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT));
      }
      return names;
    } catch (ClassNotFoundException e) {
      throw new AssertionError(e);
    }
  }

  /** A response: status and body (chunked framing left in: the test only looks for fields). */
  record Answer(int status, String body) {}

  private static Answer send(Call call) {
    List<String> headers =
        call.route().cluster()
            ? List.of(
                "Authorization: Bearer " + AppProcess.TEST_CLUSTER_SECRET,
                "X-Ktrdr-Worker-Id: backtesting-1")
            : List.of();
    return send(call.route().port(), call.route().method(), call.target(), call.body(), headers);
  }

  /** One request on its own connection, sent as bytes (so malformed encodings reach the server). */
  private static Answer send(
      int port, String method, String target, String body, List<String> headers) {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(15_000);
      StringBuilder head =
          new StringBuilder(method + " " + target + " HTTP/1.1\r\n")
              .append("Host: 127.0.0.1\r\nConnection: close\r\n");
      headers.forEach(h -> head.append(h).append("\r\n"));
      byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      if (body != null) {
        head.append("Content-Type: application/json\r\n");
      }
      head.append("Content-Length: ").append(content.length).append("\r\n\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.UTF_8));
      out.write(content);
      out.flush();
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(response).as(method + " " + target).startsWith("HTTP/1.1 ");
      int status = Integer.parseInt(response.substring(9, 12));
      int split = response.indexOf("\r\n\r\n");
      return new Answer(status, split < 0 ? "" : response.substring(split + 4));
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + target, e);
    }
  }
}
