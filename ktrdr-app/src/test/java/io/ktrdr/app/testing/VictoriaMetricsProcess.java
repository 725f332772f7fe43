package io.ktrdr.app.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Debian's VictoriaMetrics (the long-term store of the compose profiles) on a free loopback port
 * with its own data directory, answering the Prometheus query API. Fails (never skips) with the
 * install command when the binary is missing.
 */
public final class VictoriaMetricsProcess implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Process process;
  private final Path directory;
  private final int port;

  private VictoriaMetricsProcess(Process process, Path directory, int port) {
    this.process = process;
    this.directory = directory;
    this.port = port;
  }

  /** Starts VictoriaMetrics with {@code flags} added (e.g. {@code -dedup.minScrapeInterval}). */
  public static VictoriaMetricsProcess start(String... flags) {
    Path binary;
    try {
      binary = PrometheusProcess.binary("victoria-metrics");
    } catch (AssertionError e) {
      throw new AssertionError(
          "victoria-metrics not found: run 'scripts/install-test-deps.sh'"
              + " (apt-get install -y victoria-metrics)",
          e);
    }
    try {
      Path directory = Files.createTempDirectory("ktrdr-victoria-metrics-");
      int port = PrometheusProcess.freePort();
      List<String> command = new ArrayList<>();
      command.add(binary.toString());
      command.add("-storageDataPath=" + directory.resolve("data"));
      command.add("-httpListenAddr=127.0.0.1:" + port);
      command.add("-retentionPeriod=1d");
      // Answer with the newest samples (the default hides the last 30 s).
      command.add("-search.latencyOffset=0s");
      command.add("-loggerLevel=ERROR");
      command.addAll(List.of(flags));
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(directory.resolve("victoria-metrics.log").toFile())
              .start();
      VictoriaMetricsProcess vm = new VictoriaMetricsProcess(process, directory, port);
      vm.awaitReady();
      return vm;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("VictoriaMetrics exited at start-up:\n" + log());
      }
      try {
        if (Cluster.send("GET", url() + "/health", null).statusCode() == 200) {
          return;
        }
      } catch (UncheckedIOException notYet) {
        // starting
      }
      Processes.pause(100);
    }
    throw new AssertionError("VictoriaMetrics not ready after 30 s:\n" + log());
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** Where Prometheus remote-writes. */
  public String writeUrl() {
    return url() + "/api/v1/write";
  }

  /** An instant query at {@code time} (epoch seconds); the result, failing on an error. */
  public JsonNode query(String promql, double time) {
    var response =
        Cluster.send(
            "GET",
            url() + "/api/v1/query?query=" + PrometheusProcess.encode(promql) + "&time=" + time,
            null);
    JsonNode body = JSON.readTree(response.body());
    if (response.statusCode() != 200 || !"success".equals(body.path("status").asString())) {
      throw new AssertionError("VictoriaMetrics answered " + response.body() + " for " + promql);
    }
    return body.at("/data/result");
  }

  /** An instant query now. */
  public JsonNode query(String promql) {
    return query(promql, System.currentTimeMillis() / 1000.0);
  }

  public String log() {
    try {
      return Files.readString(directory.resolve("victoria-metrics.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    Processes.stop(process, Duration.ofSeconds(10));
    Processes.deleteRecursively(directory);
  }
}
