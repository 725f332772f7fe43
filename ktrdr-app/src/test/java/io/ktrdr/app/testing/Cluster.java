package io.ktrdr.app.testing;

import io.ktrdr.app.AppConfig;
import io.ktrdr.app.api.ApiServer;
import io.ktrdr.app.worker.WorkerServer;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.config.EnvConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The API and its workers in one JVM, each with its own telemetry, on random ports: the same code
 * paths as separate processes, over real sockets.
 */
public final class Cluster implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final Map<String, String> telemetryEnv;
  public final KtrdrTelemetry apiTelemetry;
  public final ApiServer api;
  private final Map<String, WorkerHandle> workers = new HashMap<>();

  /** A running worker. */
  public record WorkerHandle(String id, WorkerServer server, KtrdrTelemetry telemetry) {
    public String url(String path) {
      return "http://127.0.0.1:" + server.port() + path;
    }
  }

  /**
   * @param telemetryEnv OTEL_ and KTRDR_ keys for every process's telemetry (e.g. the OTLP
   *     endpoint)
   * @param apiEnv app keys for the API (e.g. a short health-check interval)
   */
  public Cluster(Map<String, String> telemetryEnv, Map<String, String> apiEnv) {
    this.telemetryEnv = telemetryEnv;
    Map<String, String> env = new HashMap<>(apiEnv);
    env.put("KTRDR_PORT", "0");
    env.put(
        "KTRDR_DATABASE_URL", "jdbc:h2:mem:cluster-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
    apiTelemetry = telemetry("ktrdr-api", null);
    api = ApiServer.start(AppConfig.from(EnvConfig.of(AppProcess.withSecret(env))), apiTelemetry);
    closeables.add(api);
    try {
      if (!api.awaitReady(30_000)) {
        throw new AssertionError("the API's database did not become ready");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private KtrdrTelemetry telemetry(String service, String workerId) {
    var builder =
        KtrdrTelemetry.builder()
            .serviceName(service)
            .environment(telemetryEnv)
            .shutdownHook(false)
            .shutdownTimeout(Duration.ofSeconds(2));
    if (workerId != null) {
      builder.workerId(workerId);
    }
    KtrdrTelemetry telemetry = builder.build();
    closeables.add(telemetry);
    return telemetry;
  }

  /** Starts a worker of {@code type} and waits until it is registered. */
  public WorkerHandle startWorker(String id, String type, Duration stepDelay) {
    Map<String, String> env = new HashMap<>();
    env.put("KTRDR_ROLE", "worker");
    env.put("KTRDR_PORT", "0");
    env.put("KTRDR_WORKER_TYPE", type);
    env.put("KTRDR_WORKER_ID", id);
    env.put("KTRDR_API_URL", apiUrl(""));
    env.put("KTRDR_SIMULATION_STEP_DELAY_MS", Long.toString(stepDelay.toMillis()));
    KtrdrTelemetry telemetry = telemetry("ktrdr-worker", id);
    WorkerServer server =
        WorkerServer.start(AppConfig.from(EnvConfig.of(AppProcess.withSecret(env))), telemetry);
    closeables.add(server);
    try {
      if (!server.awaitRegistered(30_000)) {
        throw new AssertionError("worker " + id + " did not register");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    WorkerHandle handle = new WorkerHandle(id, server, telemetry);
    workers.put(id, handle);
    return handle;
  }

  public String apiUrl(String path) {
    return "http://127.0.0.1:" + api.port() + path;
  }

  public static HttpResponse<String> send(String method, String url, String body) {
    return send(method, url, body, new String[0]);
  }

  /** The headers of a call made by worker {@code workerId} with the test cluster secret. */
  public static String[] asWorker(String workerId) {
    return new String[] {
      "Authorization", "Bearer " + AppProcess.TEST_CLUSTER_SECRET, "X-Ktrdr-Worker-Id", workerId
    };
  }

  /** Sends a request with extra headers (name, value, name, value...). */
  public static HttpResponse<String> send(
      String method, String url, String body, String... headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    try {
      return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public HttpResponse<String> api(String method, String path, String body) {
    return send(method, apiUrl(path), body);
  }

  public static JsonNode json(HttpResponse<String> response) {
    return JSON.readTree(response.body());
  }

  /** Polls an operation until {@code done} holds; returns its last JSON. */
  public JsonNode awaitOperation(String id, Predicate<JsonNode> done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = json(api("GET", "/api/v1/operations/" + id, null));
      if (done.test(last)) {
        return last;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("operation " + id + " did not reach the state; last: " + last);
  }

  /** Waits for a final state. */
  public JsonNode awaitFinal(String id) {
    return awaitOperation(
        id,
        op -> List.of("completed", "failed", "cancelled").contains(op.get("status").asString()),
        Duration.ofSeconds(60));
  }

  @Override
  public void close() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception ignored) {
        // best effort in tests
      }
    }
  }
}
