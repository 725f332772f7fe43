package io.ktrdr.app.worker;

import io.javalin.Javalin;
import io.ktrdr.app.AppConfig;
import io.ktrdr.app.AppVersion;
import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.Json;
import io.ktrdr.app.operations.OperationType;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.javalin.KtrdrJavalinPlugin;
import java.net.http.HttpClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A KTRDR worker: accepts one operation of its type at a time, runs it, reports to the API, and
 * registers itself with the API at start-up (retrying until the API answers).
 */
public final class WorkerServer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(WorkerServer.class);

  private final Javalin app;
  private final JobRunner runner;
  private final Thread registration;

  private WorkerServer(Javalin app, JobRunner runner, Thread registration) {
    this.app = app;
    this.runner = runner;
    this.registration = registration;
  }

  /** Starts the worker described by {@code config} (role worker). */
  public static WorkerServer start(AppConfig config, KtrdrTelemetry telemetry) {
    OperationType type = OperationType.forWorkerType(config.workerType());
    ApiClient api =
        new ApiClient(config.apiUrl(), telemetry.tracing().httpClient(HttpClient.newHttpClient()));
    JobRunner runner = new JobRunner(telemetry, api, type, config.stepDelay());
    Javalin app =
        Javalin.create(
            javalin -> {
              javalin.startup.showJavalinBanner = false;
              Json.configure(javalin);
              javalin.registerPlugin(
                  new KtrdrJavalinPlugin(
                      plugin -> {
                        plugin.telemetry = telemetry;
                        plugin.excludedPaths = List.of("/metrics", "/health");
                      }));
              javalin.routes.get(
                  "/health",
                  ctx -> {
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("status", "ok");
                    body.put("version", AppVersion.get());
                    body.put("worker_id", config.workerId());
                    body.put("worker_type", config.workerType());
                    body.put("busy", runner.busy());
                    ctx.json(body);
                  });
              javalin.routes.post(
                  type.startPath(),
                  ctx -> {
                    Map<String, Object> parameters = Json.bodyAsMap(ctx);
                    Object id = parameters.get("operation_id");
                    if (!(id instanceof String) || ((String) id).isBlank()) {
                      throw ApiException.badRequest("operation_id is required");
                    }
                    if (!runner.trySubmit((String) id, parameters)) {
                      throw new ApiException(
                          503, "busy", "This worker is running another operation");
                    }
                    ctx.status(202)
                        .json(Map.of("operation_id", id, "worker_id", config.workerId()));
                  });
              javalin.routes.delete(
                  "/operations/{id}",
                  ctx -> {
                    if (!runner.cancel(ctx.pathParam("id"))) {
                      throw ApiException.notFound(
                          "Operation " + ctx.pathParam("id") + " is not running here");
                    }
                    ctx.status(202).json(Map.of("status", "cancelling"));
                  });
            });
    app.start(config.host(), config.port());
    String workerUrl =
        config.port() == 0
            ? config.workerUrl().replaceAll(":0$", ":" + app.port())
            : config.workerUrl();
    Thread registration =
        new Thread(() -> register(api, config, workerUrl), "ktrdr-worker-registration");
    registration.setDaemon(true);
    registration.start();
    logger.info(
        "KTRDR {} worker {} listening on http://{}:{}",
        config.workerType(),
        config.workerId(),
        config.host(),
        app.port());
    return new WorkerServer(app, runner, registration);
  }

  private static void register(ApiClient api, AppConfig config, String workerUrl) {
    int attempt = 0;
    while (!Thread.currentThread().isInterrupted()) {
      attempt++;
      try {
        if (api.register(config.workerId(), config.workerType(), workerUrl)) {
          logger.info("Registered with the API at {} as {}", config.apiUrl(), config.workerId());
          return;
        }
      } catch (java.io.IOException e) {
        if (attempt == 1 || attempt % 15 == 0) {
          logger.info(
              "The API at {} is not reachable yet ({}); retrying", config.apiUrl(), e.toString());
        }
      } catch (InterruptedException e) {
        return;
      }
      try {
        Thread.sleep(Math.min(2000, 100L * attempt));
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  public int port() {
    return app.port();
  }

  /** Waits until the worker has registered with the API, at most {@code millis}. */
  public boolean awaitRegistered(long millis) throws InterruptedException {
    registration.join(millis);
    return !registration.isAlive();
  }

  @Override
  public void close() {
    registration.interrupt();
    runner.close();
    app.stop();
  }
}
