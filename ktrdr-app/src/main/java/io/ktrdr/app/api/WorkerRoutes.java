package io.ktrdr.app.api;

import static io.ktrdr.app.api.ApiServer.HEARTBEAT_BODY;
import static io.ktrdr.app.api.ApiServer.PREFIX;
import static io.ktrdr.app.api.ApiServer.REGISTER_BODY;
import static io.ktrdr.app.api.ApiServer.logger;
import static io.ktrdr.app.api.ApiServer.pageBody;
import static io.ktrdr.app.api.ApiServer.paged;
import static io.ktrdr.app.http.RouteCatalog.doc;

import io.ktrdr.app.http.Access;
import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.Credentials;
import io.ktrdr.app.http.Json;
import io.ktrdr.app.http.RouteCatalog;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

/**
 * The worker routes: registration, heartbeats, the registry and the Prometheus discovery targets.
 */
final class WorkerRoutes {
  private WorkerRoutes() {}

  static void register(
      RouteCatalog catalog,
      AtomicBoolean ready,
      WorkerRegistry registry,
      WorkerHealthChecker healthChecker,
      Credentials credentials,
      UnaryOperator<String> urlPolicy) {
    catalog.post(
        PREFIX + "/workers/register",
        doc("workers", "Register (or re-register) a worker")
            .access(Access.CLUSTER)
            .body(
                Map.of(
                    "worker_id",
                    "backtesting-1",
                    "worker_type",
                    "backtesting",
                    "instance_id",
                    "3f2c9a7e-...",
                    "url",
                    "http://127.0.0.1:5003"),
                REGISTER_BODY)
            .responds(200, "registered")
            .responds(400, "invalid body")
            .responds(401, "no or wrong cluster secret")
            .responds(403, "url not allowed (allow-list, or the API's own address)")
            .responds(503, "too many workers registered"),
        ctx -> {
          Requests.RegisterRequest request =
              Requests.validate(Json.body(ctx, Requests.RegisterRequest.class));
          String sender = ctx.header(Credentials.WORKER_HEADER);
          if (sender != null && !sender.equals(request.workerId())) {
            throw credentials.forbidden(Access.CLUSTER, "A worker registers under its own id only");
          }
          String url = urlPolicy.apply(request.url());
          Optional<WorkerRegistry.Worker> replaced;
          try {
            replaced =
                registry.register(
                    request.workerId(), request.workerType(), request.instanceId(), url);
          } catch (IllegalStateException e) {
            throw ApiException.unavailable(
                "Too many workers are registered; forget stopped ones first");
          }
          if (replaced.isPresent() && ready.get()) {
            healthChecker.restarted(replaced.get());
          }
          logger
              .atInfo()
              .addKeyValue("worker_id", request.workerId())
              .addKeyValue("worker_type", request.workerType())
              .log("Worker registered");
          ctx.json(Map.of("status", "registered", "worker_id", request.workerId()));
        });
    catalog.post(
        PREFIX + "/workers/{id}/heartbeat",
        doc("workers", "A worker's heartbeat; 404 tells it to register again")
            .access(Access.CLUSTER)
            .body(Map.of("instance_id", "3f2c9a7e-..."), HEARTBEAT_BODY)
            .responds(200, "known")
            .responds(401, "no or wrong cluster secret")
            .responds(404, "not registered (as this instance): register again"),
        ctx -> {
          String id = ctx.pathParam("id");
          String sender = ctx.header(Credentials.WORKER_HEADER);
          if (sender == null || !sender.equals(id)) {
            throw credentials.forbidden(Access.CLUSTER, "A worker sends its own heartbeat only");
          }
          Requests.Heartbeat heartbeat = Json.body(ctx, Requests.Heartbeat.class);
          if (heartbeat.instanceId() == null || !registry.heartbeat(id, heartbeat.instanceId())) {
            throw ApiException.notFound("Worker " + id + " is not registered; register again");
          }
          ctx.json(Map.of("status", "ok"));
        });
    catalog.get(
        PREFIX + "/workers",
        paged(doc("workers", "Registered workers and their health, a page at a time"), "workers"),
        ctx -> {
          int limit = Requests.LIMIT.parse(ctx.queryParam("limit"));
          int offset = Requests.OFFSET.parse(ctx.queryParam("offset"));
          List<Map<String, Object>> all = registry.toJson();
          List<Map<String, Object>> page =
              all.subList(Math.min(offset, all.size()), Math.min(offset + limit, all.size()));
          ctx.json(pageBody("workers", page, all.size(), limit, offset));
        });
    // Read by Prometheus' http_sd_configs; with KTRDR_API_TOKEN set, give Prometheus the token
    // (authorization.credentials_file in the scrape job), as for the worker list.
    catalog.get(
        PREFIX + "/workers/targets",
        doc("workers", "The workers as Prometheus http_sd_configs targets"),
        new WorkerTargets(registry)::handle);
  }
}
