package io.ktrdr.app.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus server for end-to-end tests: writes a scrape config, starts the binary on a
 * free loopback port with its own data directory, waits until it is ready, and answers queries
 * through the HTTP API. Fails (never skips) with the install command when the binary is missing.
 */
public final class PrometheusProcess implements AutoCloseable {
  /** The command that installs what this class needs. */
  public static final String INSTALL_HINT =
      "Prometheus is not installed: run 'scripts/install-test-deps.sh'"
          + " (apt-get install -y prometheus), or set PROMETHEUS_BIN to a prometheus binary";

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final Path directory;
  private final int port;

  private PrometheusProcess(Process process, Path directory, int port) {
    this.process = process;
    this.directory = directory;
    this.port = port;
  }

  /** The {@code prometheus} binary: {@code PROMETHEUS_BIN}, else the first on {@code PATH}. */
  public static Path binary(String name) {
    String configured = System.getenv(name.toUpperCase().replace('-', '_') + "_BIN");
    if (configured != null && Files.isExecutable(Path.of(configured))) {
      return Path.of(configured);
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new AssertionError(
        name + " not found. " + INSTALL_HINT.replace("Prometheus is not installed: ", ""));
  }

  /**
   * Starts Prometheus with {@code config} (a complete prometheus.yml) and extra flags.
   *
   * @param config the configuration file's text
   */
  public static PrometheusProcess start(String config, String... extraFlags) {
    try {
      return start(freePort(), config, extraFlags);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts Prometheus on {@code port} (for configurations that scrape Prometheus itself). */
  public static PrometheusProcess start(int port, String config, String... extraFlags) {
    Path binary;
    try {
      binary = binary("prometheus");
    } catch (AssertionError e) {
      throw new AssertionError(INSTALL_HINT, e);
    }
    try {
      Path directory = Files.createTempDirectory("ktrdr-prometheus-");
      Path configFile = directory.resolve("prometheus.yml");
      Files.writeString(configFile, config);
      List<String> command = new ArrayList<>();
      command.add(binary.toString());
      command.add("--config.file=" + configFile);
      command.add("--storage.tsdb.path=" + directory.resolve("data"));
      command.add("--web.listen-address=127.0.0.1:" + port);
      command.add("--web.enable-lifecycle");
      command.addAll(List.of(extraFlags));
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(directory.resolve("prometheus.log").toFile())
              .start();
      PrometheusProcess prometheus = new PrometheusProcess(process, directory, port);
      prometheus.awaitReady();
      return prometheus;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A configuration that scrapes one target every second as job {@code job}. */
  public static String scrapeEverySecond(String job, int port) {
    return String.join(
        "\n",
        "global:",
        "  scrape_interval: 1s",
        "  evaluation_interval: 1s",
        "scrape_configs:",
        "  - job_name: " + job,
        "    static_configs:",
        "      - targets: ['127.0.0.1:" + port + "']",
        "");
  }

  /**
   * The no-Docker configuration exactly as scripts/run.sh generates it (the API scraped, the
   * workers discovered from it), with 1 s periods.
   */
  public static String localConfig(int apiPort, int prometheusPort) {
    try {
      ProcessBuilder builder =
          new ProcessBuilder("bash", Repo.path("scripts/prometheus-local-config.sh").toString());
      builder.environment().put("KTRDR_API_PORT", Integer.toString(apiPort));
      builder.environment().put("KTRDR_PROMETHEUS_PORT", Integer.toString(prometheusPort));
      builder.environment().put("KTRDR_PROMETHEUS_SCRAPE_INTERVAL", "1s");
      Process generate = builder.redirectErrorStream(true).start();
      String config = new String(generate.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!generate.waitFor(30, TimeUnit.SECONDS) || generate.exitValue() != 0) {
        throw new AssertionError("prometheus-local-config.sh failed:\n" + config);
      }
      return config;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** A free TCP port on loopback. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("Prometheus exited at start-up:\n" + log());
      }
      try {
        HttpResponse<String> response = get("/-/ready");
        if (response.statusCode() == 200) {
          return;
        }
      } catch (UncheckedIOException notYet) {
        // still starting
      }
      sleep(100);
    }
    throw new AssertionError("Prometheus not ready after 30 s:\n" + log());
  }

  /** Prometheus's own log, for failure messages. */
  public String log() {
    try {
      return Files.readString(directory.resolve("prometheus.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  public int port() {
    return port;
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** GET on the Prometheus HTTP API. */
  public HttpResponse<String> get(String pathAndQuery) {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(URI.create(url() + pathAndQuery))
              .timeout(Duration.ofSeconds(10))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The {@code data} node of an API answer; fails on an error status. */
  public JsonNode api(String pathAndQuery) {
    HttpResponse<String> response = get(pathAndQuery);
    JsonNode body = JSON.readTree(response.body());
    if (response.statusCode() != 200 || !"success".equals(body.path("status").asString())) {
      throw new AssertionError(
          "Prometheus API " + pathAndQuery + " answered " + response.statusCode() + ": " + body);
    }
    return body.get("data");
  }

  /** An instant query; returns the result vector. */
  public JsonNode query(String promql) {
    return api("/api/v1/query?query=" + encode(promql)).get("result");
  }

  /** Runs {@code promql} until {@code condition} holds on its result, at most {@code timeout}. */
  public JsonNode awaitQuery(String promql, Predicate<JsonNode> condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode result = null;
    while (System.nanoTime() < deadline) {
      result = query(promql);
      if (condition.test(result)) {
        return result;
      }
      sleep(250);
    }
    throw new AssertionError(
        "query "
            + promql
            + " did not meet the condition in "
            + timeout
            + "; last result: "
            + result);
  }

  /** The one value of a query that must return exactly one series. */
  public double single(String promql) {
    JsonNode result = query(promql);
    if (result.size() != 1) {
      throw new AssertionError("expected one series for " + promql + " but got " + result);
    }
    return Double.parseDouble(result.get(0).get("value").get(1).asString());
  }

  /** Labels of every series a query returns. */
  public static List<Map<String, String>> labels(JsonNode result) {
    List<Map<String, String>> all = new ArrayList<>();
    for (JsonNode series : result) {
      all.add(
          JSON.convertValue(
              series.get("metric"),
              new tools.jackson.core.type.TypeReference<Map<String, String>>() {}));
    }
    return all;
  }

  public static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Kills the process at once (SIGKILL), as a crash or a lost machine would. */
  public void kill() {
    Processes.kill(process);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    deleteRecursively(directory);
  }

  private static void deleteRecursively(Path path) {
    try (var files = Files.walk(path)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // temp files only
    }
  }
}
