package io.ktrdr.app.worker;

import static io.ktrdr.app.http.RouteCatalog.doc;

import io.javalin.Javalin;
import io.ktrdr.app.AppConfig;
import io.ktrdr.app.AppVersion;
import io.ktrdr.app.Redactor;
import io.ktrdr.app.api.Requests;
import io.ktrdr.app.http.Access;
import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.Credentials;
import io.ktrdr.app.http.Json;
import io.ktrdr.app.http.RequestGuard;
import io.ktrdr.app.http.RouteCatalog;
import io.ktrdr.app.http.ServerSetup;
import io.ktrdr.app.operations.OperationType;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.javalin.KtrdrJavalinPlugin;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A KTRDR worker: accepts one operation of its type at a time, only from the API (cluster secret),
 * runs it, reports to the API. It registers at start-up, then sends a heartbeat every {@code
 * KTRDR_WORKER_HEARTBEAT_MS}; when the API no longer knows it (the API restarted), it registers
 * again by itself. Each start is a new instance (a random instance id), so the API can tell a
 * restarted worker from one that only lost touch.
 */
public final class WorkerServer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(WorkerServer.class);
  static final int START_BODY = 4 * 1024;

  private final Javalin app;
  private final JobRunner runner;
  private final Thread membership;
  private final CountDownLatch registered;

  private WorkerServer(
      Javalin app, JobRunner runner, Thread membership, CountDownLatch registered) {
    this.app = app;
    this.runner = runner;
    this.membership = membership;
    this.registered = registered;
  }

  /** Starts the worker described by {@code config} (role worker). */
  public static WorkerServer start(AppConfig config, KtrdrTelemetry telemetry) {
    Redactor.register(config.secrets());
    OperationType type = OperationType.forWorkerType(config.workerType());
    String instanceId = UUID.randomUUID().toString();
    Credentials credentials =
        new Credentials(
            config.clusterSecret(),
            config.clusterSecretAccepted(),
            java.util.Optional.empty(),
            telemetry.meter("io.ktrdr.app.worker"));
    ApiClient api =
        new ApiClient(
            config.apiUrl(),
            telemetry.tracing().httpClient(ServerSetup.client(config.workerConnectTimeout())),
            credentials.clusterAuthorization(),
            config.workerId());
    JobRunner runner = new JobRunner(telemetry, api, type, config.stepDelay());
    RouteCatalog catalog = new RouteCatalog();
    catalog.get(
        "/health",
        doc("worker", "Liveness, identity and the operation running here").access(Access.PUBLIC),
        ctx -> {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("status", "ok");
          body.put("version", AppVersion.get());
          body.put("worker_id", config.workerId());
          body.put("worker_type", config.workerType());
          body.put("instance_id", instanceId);
          body.put("busy", runner.busy());
          body.put("operation_id", runner.currentOperation());
          ctx.json(body);
        });
    catalog.post(
        type.startPath(),
        doc("worker", "Start an operation (the API only)")
            .access(Access.CLUSTER)
            .body(Map.of("operation_id", "op_backtest_0123456789ab"), START_BODY),
        ctx -> {
          Map<String, Object> parameters = Requests.validateDispatch(type, Json.bodyAsMap(ctx));
          String id = (String) parameters.get("operation_id");
          if (!runner.trySubmit(id, parameters)) {
            throw new ApiException(503, "busy", "This worker is running another operation");
          }
          ctx.status(202).json(Map.of("operation_id", id, "worker_id", config.workerId()));
        });
    catalog.delete(
        "/operations/{id}",
        doc("worker", "Cancel the operation running here (the API only)").access(Access.CLUSTER),
        ctx -> {
          if (!runner.cancel(ctx.pathParam("id"))) {
            throw ApiException.notFound(
                "Operation "
                    + RequestGuard.abbreviate(ctx.pathParam("id"))
                    + " is not running here");
          }
          ctx.status(202).json(Map.of("status", "cancelling"));
        });
    RequestGuard guard = new RequestGuard(credentials, List.of(), List.of());
    Javalin app =
        Javalin.create(
            javalin -> {
              javalin.registerPlugin(
                  new KtrdrJavalinPlugin(
                      plugin -> {
                        plugin.telemetry = telemetry;
                        plugin.excludedPaths = List.of("/metrics", "/health");
                      }));
              ServerSetup.configure(javalin, catalog, guard, config.idleTimeout());
            });
    app.start(config.host(), config.port());
    String workerUrl =
        config.port() == 0
            ? config.workerUrl().replaceAll(":0$", ":" + app.port())
            : config.workerUrl();
    CountDownLatch registered = new CountDownLatch(1);
    Thread membership =
        new Thread(
            () -> membership(api, config, instanceId, workerUrl, registered),
            "ktrdr-worker-membership");
    membership.setDaemon(true);
    membership.start();
    logger.info(
        "KTRDR {} worker {} listening on http://{}:{}",
        config.workerType(),
        config.workerId(),
        config.host(),
        app.port());
    return new WorkerServer(app, runner, membership, registered);
  }

  /** Registers, then sends heartbeats; registers again whenever the API has forgotten us. */
  private static void membership(
      ApiClient api,
      AppConfig config,
      String instanceId,
      String workerUrl,
      CountDownLatch registered) {
    boolean known = false;
    int failures = 0;
    while (!Thread.currentThread().isInterrupted()) {
      long pause;
      try {
        if (!known) {
          HttpResponse<String> response = api.register(config.workerType(), instanceId, workerUrl);
          if (response.statusCode() == 200) {
            known = true;
            failures = 0;
            registered.countDown();
            logger.info("Registered with the API at {} as {}", config.apiUrl(), config.workerId());
          } else if (response.statusCode() < 500) {
            // Refused for good (wrong secret, URL not allowed): say why, keep trying slowly.
            failures++;
            if (failures == 1 || failures % 30 == 0) {
              logger.error(
                  "The API refused the registration: {} {}",
                  response.statusCode(),
                  RequestGuard.abbreviate(response.body()));
            }
          }
        } else {
          int status = api.heartbeat(instanceId);
          if (status == 404) {
            logger.info("The API no longer knows this worker (it restarted?); registering again");
            known = false;
            continue;
          }
          failures = 0;
        }
      } catch (IOException e) {
        failures++;
        if (failures == 1 || failures % 15 == 0) {
          logger.info(
              "The API at {} is not reachable ({}); retrying", config.apiUrl(), e.toString());
        }
      } catch (InterruptedException e) {
        return;
      }
      pause =
          known
              ? config.heartbeatInterval().toMillis()
              : Math.min(2000, 100L * Math.max(1, failures));
      try {
        Thread.sleep(pause);
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
    return registered.await(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    membership.interrupt();
    runner.close();
    app.stop();
  }
}
