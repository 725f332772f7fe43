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
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Generated values for every parameter of every route of the API and of a worker, on a real socket:
 * no input gives a server error. The API's routes and their query parameters come from its own
 * OpenAPI document, so a new route or parameter is covered as soon as it is documented; body fields
 * are the fields of each request type. Values: integers at the 32- and 64-bit edges, huge,
 * negative, fractional, non-numeric, unicode (other scripts' digits, line separators), empty, and
 * malformed percent-encodings.
 *
 * <p>The corpus is drawn from a {@link SplittableRandom} with a fixed seed, so every run sends the
 * same requests; {@code -Dktrdr.fuzz.seed=N} draws another corpus. A failure names the seed, the
 * try and the request, and stops there (nothing is shrunk): the first failing request is the
 * report.
 */
class ApiInputPropertyTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern PATH_PARAM = Pattern.compile("\\{([^}]+)}");

  /** The system property that draws another corpus. */
  private static final String SEED_PROPERTY = "ktrdr.fuzz.seed";

  /** The default seed: a fixed one, so that a run repeats the previous one. */
  private static final long DEFAULT_SEED = 20_261_202L;

  /** Characters that end lines, strings or encodings, for {@link #anyString}. */
  private static final String SEPARATORS = "\u2028\u2029\u0085\r\n\u0000\ufeff%\"\\";

  /** Requests per run. */
  private static final int TRIES = 3000;

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

  /** Draws one value (a string, or null for "leave it out") from the random source. */
  @FunctionalInterface
  interface Gen {
    String next(SplittableRandom random);
  }

  /** A generator with its relative weight among the others of a {@link #frequency}. */
  record Choice(int weight, Gen gen) {}

  @BeforeAll
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
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void noInputGivesAServerError() {
    long seed = seed();
    System.out.println(
        "ApiInputPropertyTest: seed "
            + seed
            + " (-D"
            + SEED_PROPERTY
            + "="
            + seed
            + " repeats it)");
    SplittableRandom random = new SplittableRandom(seed);
    List<Call> corpus = new ArrayList<>(TRIES);
    for (int i = 0; i < TRIES; i++) {
      Route route = routes.get(random.nextInt(routes.size()));
      corpus.add(callOf(route, random));
    }
    assertThat(corpus.stream().map(Call::route).distinct())
        .as("seed %d: every route is in the corpus", seed)
        .containsExactlyInAnyOrderElementsOf(routes);

    long firstTry = System.nanoTime();
    for (int i = 0; i < corpus.size(); i++) {
      Call call = corpus.get(i);
      String where = "seed " + seed + ", try " + (i + 1) + " of " + TRIES + ": " + call;
      assertThat(Duration.ofNanos(System.nanoTime() - firstTry))
          .as("%s: the %s budget for all tries is spent", where, BUDGET)
          .isLessThan(BUDGET);
      Answer answer = send(call, where);
      assertThat(answer.status()).as(where).isBetween(200, 599);
      if (answer.status() >= 500) {
        // The only 5xx a request may cause: the documented 503 (no worker free, worker busy).
        assertThat(answer.status()).as(where + " -> " + answer.body()).isEqualTo(503);
        assertThat(answer.body())
            .as(where)
            .containsAnyOf("\"error\":\"unavailable\"", "\"error\":\"busy\"");
      }
      if (answer.status() >= 400) {
        assertThat(answer.body()).as(where).contains("\"error\":", "\"message\":");
      }
    }
  }

  /** The seed of this run: {@value #SEED_PROPERTY} if set, else {@link #DEFAULT_SEED}. */
  private static long seed() {
    String value = System.getProperty(SEED_PROPERTY);
    if (value == null || value.isBlank()) {
      return DEFAULT_SEED;
    }
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          SEED_PROPERTY + " must be a 64-bit decimal integer, was '" + value + "'", e);
    }
  }

  private static Call callOf(Route route, SplittableRandom random) {
    List<String> pathParams = new ArrayList<>();
    Matcher matcher = PATH_PARAM.matcher(route.path());
    while (matcher.find()) {
      pathParams.add(matcher.group(1));
    }
    Gen text = textValue();
    Gen query = frequency(new Choice(3, text), new Choice(1, r -> null));
    List<String> values = new ArrayList<>();
    pathParams.forEach(p -> values.add(text.next(random)));
    route.query().forEach(q -> values.add(query.next(random)));
    route.fields().forEach(f -> values.add(fieldValue(route.example().get(f)).next(random)));
    return call(route, pathParams, values);
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
  private static Gen textValue() {
    Gen numbers =
        oneOf(
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
    Gen nearEdges =
        frequency(
            new Choice(1, between(Integer.MAX_VALUE - 1000, Integer.MAX_VALUE)),
            new Choice(1, between(Integer.MIN_VALUE, Integer.MIN_VALUE + 1000)));
    Gen others =
        oneOf(
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
    Gen malformed = oneOf("%ZZ", "%", "%C0%80", "%FF%FE", "%00", "%E2%80%A8", "a%2Fb", "..%2F..");
    return frequency(
        new Choice(4, numbers),
        new Choice(2, nearEdges),
        new Choice(2, r -> encode(others.next(r))),
        new Choice(1, r -> String.valueOf(r.nextInt())),
        new Choice(1, r -> String.valueOf(r.nextLong())),
        new Choice(1, r -> encode(anyString(r, 40))),
        new Choice(1, malformed));
  }

  /** A JSON body field: its example value, absent, or a hostile JSON value. */
  private static Gen fieldValue(String example) {
    Gen edges =
        oneOf(
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
    Gen hostile =
        frequency(
            new Choice(5, edges),
            new Choice(2, r -> String.valueOf(r.nextInt())),
            new Choice(2, r -> String.valueOf(r.nextLong())),
            new Choice(1, r -> Double.toString(finiteDouble(r))),
            new Choice(2, r -> JSON.writeValueAsString(anyString(r, 40))));
    return frequency(new Choice(3, hostile), new Choice(2, r -> example));
  }

  private static Gen oneOf(String... values) {
    return r -> values[r.nextInt(values.length)];
  }

  /** An integer from {@code min} to {@code max}, both included. */
  private static Gen between(int min, int max) {
    return r -> String.valueOf(r.nextLong(min, max + 1L));
  }

  private static Gen frequency(Choice... choices) {
    int total = 0;
    for (Choice choice : choices) {
      total += choice.weight();
    }
    int sum = total;
    return r -> {
      int pick = r.nextInt(sum);
      for (Choice choice : choices) {
        pick -= choice.weight();
        if (pick < 0) {
          return choice.gen().next(r);
        }
      }
      throw new AssertionError("weights sum to " + sum);
    };
  }

  /**
   * Up to {@code maxLength} chars of any kind: ASCII with controls, any UTF-16 unit (lone
   * surrogates included), characters beyond the BMP, and the separators that break lines.
   */
  private static String anyString(SplittableRandom r, int maxLength) {
    int length = r.nextInt(maxLength + 1);
    StringBuilder s = new StringBuilder(length * 2);
    for (int i = 0; i < length; i++) {
      switch (r.nextInt(4)) {
        case 0 -> s.append((char) r.nextInt(0x80));
        case 1 -> s.append((char) r.nextInt(0x10000));
        case 2 -> s.appendCodePoint(r.nextInt(0x10000, Character.MAX_CODE_POINT + 1));
        default -> s.append(SEPARATORS.charAt(r.nextInt(SEPARATORS.length())));
      }
    }
    return s.toString();
  }

  /** Any finite double: from its raw bits (every magnitude) or uniform in a small range. */
  private static double finiteDouble(SplittableRandom r) {
    double bits = Double.longBitsToDouble(r.nextLong());
    return r.nextBoolean() && Double.isFinite(bits) ? bits : r.nextDouble(-1e6, 1e6);
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

  private static Answer send(Call call, String where) {
    List<String> headers =
        call.route().cluster()
            ? List.of(
                "Authorization: Bearer " + AppProcess.TEST_CLUSTER_SECRET,
                "X-Ktrdr-Worker-Id: backtesting-1")
            : List.of();
    try {
      return send(call.route().port(), call.route().method(), call.target(), call.body(), headers);
    } catch (UncheckedIOException e) {
      throw new AssertionError(where + ": " + e.getCause(), e);
    }
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
