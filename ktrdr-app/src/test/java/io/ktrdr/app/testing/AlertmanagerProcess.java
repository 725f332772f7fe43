package io.ktrdr.app.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Alertmanager (Debian's {@code prometheus-alertmanager}) on a free loopback port with its
 * own data directory. Fails (never skips) with the install command when the binary is missing.
 */
public final class AlertmanagerProcess implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final Path directory;
  private final int port;

  private AlertmanagerProcess(Process process, Path directory, int port) {
    this.process = process;
    this.directory = directory;
    this.port = port;
  }

  /**
   * Starts Alertmanager with {@code config} (a complete alertmanager.yml) and waits until ready.
   */
  public static AlertmanagerProcess start(String config) {
    try {
      return start(
          config,
          Files.createTempDirectory("ktrdr-alertmanager-"),
          PrometheusProcess.freePort(),
          List.of("--cluster.listen-address="));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts Alertmanager on {@code port} with its state in {@code directory} (the same directory and
   * port again restart a stopped member as it was) and {@code flags} (e.g. the cluster's).
   */
  public static AlertmanagerProcess start(
      String config, Path directory, int port, List<String> flags) {
    Path binary = PrometheusProcess.binary("prometheus-alertmanager");
    try {
      Path file = directory.resolve("alertmanager.yml");
      Files.writeString(file, config);
      List<String> command = new ArrayList<>();
      command.add(binary.toString());
      command.add("--config.file=" + file);
      command.add("--storage.path=" + directory.resolve("data"));
      command.add("--web.listen-address=127.0.0.1:" + port);
      command.addAll(flags);
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(
                  ProcessBuilder.Redirect.appendTo(directory.resolve("alertmanager.log").toFile()))
              .start();
      AlertmanagerProcess alertmanager = new AlertmanagerProcess(process, directory, port);
      alertmanager.awaitReady();
      return alertmanager;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Kills the process at once (SIGKILL), as a crash would; its directory stays. */
  public void kill() {
    Processes.kill(process);
  }

  public Path directory() {
    return directory;
  }

  /** GET on the v2 API ({@code /api/v2/status}, {@code /api/v2/silences}...), as JSON. */
  public JsonNode get(String path) {
    return JSON.readTree(send("GET", path, null).body());
  }

  /** Creates a silence (the v2 API's shape); returns its id. */
  public String silence(String silenceJson) {
    HttpResponse<String> response = send("POST", "/api/v2/silences", silenceJson);
    if (response.statusCode() != 200) {
      throw new AssertionError("Alertmanager refused the silence: " + response.body());
    }
    return JSON.readTree(response.body()).get("silenceID").asString();
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("Alertmanager exited at start-up:\n" + log());
      }
      try {
        if (send("GET", "/-/ready", null).statusCode() == 200) {
          return;
        }
      } catch (UncheckedIOException notYet) {
        // still starting
      }
      Processes.pause(100);
    }
    throw new AssertionError("Alertmanager not ready after 30 s:\n" + log());
  }

  public int port() {
    return port;
  }

  /** Posts alerts (a JSON array in the v2 API's shape), as Prometheus does. */
  public void post(String alertsJson) {
    HttpResponse<String> response = send("POST", "/api/v2/alerts", alertsJson);
    if (response.statusCode() != 200) {
      throw new AssertionError("Alertmanager refused alerts: " + response.body());
    }
  }

  /** The alerts Alertmanager holds, with their state ({@code active}, {@code suppressed}). */
  public JsonNode alerts() {
    return JSON.readTree(send("GET", "/api/v2/alerts", null).body());
  }

  private HttpResponse<String> send(String method, String path, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    try {
      return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Alertmanager's own log, for failure messages. */
  public String log() {
    try {
      return Files.readString(directory.resolve("alertmanager.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    Processes.stop(process, Duration.ofSeconds(10));
  }
}
