package io.ktrdr.app.api;

import static io.ktrdr.app.http.RouteCatalog.doc;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.ktrdr.app.AppConfig;
import io.ktrdr.app.AppVersion;
import io.ktrdr.app.Redactor;
import io.ktrdr.app.data.Bar;
import io.ktrdr.app.data.BarRepository;
import io.ktrdr.app.data.Database;
import io.ktrdr.app.data.DatabaseCircuit;
import io.ktrdr.app.data.Timeframe;
import io.ktrdr.app.http.Access;
import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.Credentials;
import io.ktrdr.app.http.Json;
import io.ktrdr.app.http.RequestGuard;
import io.ktrdr.app.http.RouteCatalog;
import io.ktrdr.app.http.ServerSetup;
import io.ktrdr.app.operations.OperationRecord;
import io.ktrdr.app.operations.OperationState;
import io.ktrdr.app.operations.OperationStore;
import io.ktrdr.app.operations.OperationType;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.javalin.KtrdrJavalinPlugin;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The KTRDR API: market data from the database, operations dispatched to workers, the worker
 * registry, OpenAPI docs and {@code /metrics}.
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(ApiServer.class);
  private static final String PREFIX = "/api/v1";
  private static final AttributeKey<String> DATA_SYMBOL = AttributeKey.stringKey("data.symbol");
  private static final AttributeKey<String> DATA_TIMEFRAME =
      AttributeKey.stringKey("data.timeframe");

  /** Body limits per endpoint, in bytes. */
  static final int START_BODY = 4 * 1024;

  static final int REGISTER_BODY = 2 * 1024;
  static final int HEARTBEAT_BODY = 1024;
  static final int PROGRESS_BODY = 128 * 1024;
  static final int ALERTS_BODY = 256 * 1024;

  /** A result larger than this, serialized, is refused (413). */
  static final int MAX_RESULT = 64 * 1024;

  private final Javalin app;
  private final Database database;
  private final WorkerHealthChecker healthChecker;
  private final Thread initializer;
  private final AtomicBoolean ready;

  private ApiServer(
      Javalin app,
      Database database,
      WorkerHealthChecker healthChecker,
      Thread initializer,
      AtomicBoolean ready) {
    this.app = app;
    this.database = database;
    this.healthChecker = healthChecker;
    this.initializer = initializer;
    this.ready = ready;
  }

  /**
   * Builds the routes, starts listening, and prepares the database in the background (readiness
   * reports 503 until the bars are loaded and the stored operations are back).
   */
  public static ApiServer start(AppConfig config, KtrdrTelemetry telemetry) {
    Redactor.register(config.secrets());
    Database database =
        Database.create(
            config.databaseUrl(),
            config.databaseUser().orElse(null),
            config.databasePassword().orElse(null),
            config.databaseConnectTimeout(),
            config.databaseProbeInterval(),
            telemetry.meter("io.ktrdr.app.data"),
            source -> telemetry.tracing().dataSource(source));
    AtomicBoolean ready = new AtomicBoolean();
    BarRepository bars = new BarRepository(database.dataSource(), database.circuit());
    OperationStore store =
        new OperationStore(
            database.dataSource(),
            database.circuit(),
            Clock.systemUTC(),
            config.operationsMax(),
            config.retention());
    Meter meter = telemetry.meter("io.ktrdr.app.api");
    WorkerRegistry registry = new WorkerRegistry(Clock.systemUTC(), meter, config.maxWorkers());
    Credentials credentials =
        new Credentials(
            config.clusterSecret(), config.clusterSecretAccepted(), config.apiToken(), meter);
    HttpClient plainClient = ServerSetup.client(config.workerConnectTimeout());
    HttpClient workerClient =
        telemetry.tracing().httpClient(ServerSetup.client(config.workerConnectTimeout()));
    Dispatcher dispatcher =
        new Dispatcher(registry, store, workerClient, credentials, config.workerRequestTimeout());
    WorkerHealthChecker healthChecker =
        new WorkerHealthChecker(
            registry,
            store,
            meter,
            Clock.systemUTC(),
            ready::get,
            config.healthInterval(),
            config.failuresBeforeUnavailable(),
            config.failuresBeforeForget(),
            config.reconcileAfter(),
            plainClient,
            config.workerRequestTimeout());
    RequestGuard guard =
        new RequestGuard(credentials, allowedHosts(config), config.allowedOrigins());
    // Built before the server listens, so that a worker registering as soon as the port opens
    // finds it; the API's own port is read at validation time, once it is bound.
    AtomicReference<Javalin> started = new AtomicReference<>();
    WorkerUrlPolicy urlPolicy =
        new WorkerUrlPolicy(config.workerAllowList(), () -> started.get().port());
    RouteCatalog catalog =
        routes(
            telemetry,
            ready,
            database.circuit(),
            bars,
            store,
            registry,
            dispatcher,
            healthChecker,
            credentials,
            urlPolicy::validate);

    Javalin app =
        Javalin.create(
            javalin -> {
              javalin.staticFiles.enableWebjars();
              javalin.registerPlugin(
                  new KtrdrJavalinPlugin(
                      plugin -> {
                        plugin.telemetry = telemetry;
                        plugin.excludedPaths = List.of("/metrics", "/webjars/*");
                        // The API is an edge service (KtrdrApp): its workers' traces go on.
                        plugin.trustedCallers =
                            request -> credentials.isCluster(request.getHeader("Authorization"));
                      }));
              // The webjar's own page loads the petstore example: send users to ours.
              javalin.routes.before(
                  "/webjars/swagger-ui/*",
                  ctx -> {
                    if (ctx.path().endsWith("/index.html")
                        || ctx.path().endsWith("/swagger-initializer.js")) {
                      ctx.redirect(PREFIX + "/docs");
                      ctx.skipRemainingHandlers();
                    }
                  });
              ServerSetup.configure(javalin, catalog, guard, config.idleTimeout());
            });
    started.set(app);
    app.start(config.host(), config.port());
    Thread initializer = new Thread(() -> initialize(database, store, ready), "ktrdr-db-init");
    initializer.setDaemon(true);
    initializer.start();
    logger.info("KTRDR API listening on http://{}:{}", config.host(), app.port());
    return new ApiServer(app, database, healthChecker, initializer, ready);
  }

  /** Loads the database, retrying until it answers (it may start after the API). */
  private static void initialize(Database database, OperationStore store, AtomicBoolean ready) {
    for (int attempt = 1; !Thread.currentThread().isInterrupted(); attempt++) {
      try {
        database.initialize();
        store.initialize();
        ready.set(true);
        return;
      } catch (Exception e) {
        if (attempt == 1 || attempt % 30 == 0) {
          logger.error(
              "Database initialization failed (attempt {}); the API stays not ready and retries: {}",
              attempt,
              Redactor.redact(e.toString()));
        }
        try {
          Thread.sleep(2000);
        } catch (InterruptedException interrupted) {
          return;
        }
      }
    }
  }

  private static List<String> allowedHosts(AppConfig config) {
    List<String> hosts = new ArrayList<>(config.allowedHosts());
    if (!config.host().equals("0.0.0.0") && !config.host().equals("::")) {
      hosts.add(config.host());
    }
    return hosts;
  }

  private static RouteCatalog routes(
      KtrdrTelemetry telemetry,
      AtomicBoolean ready,
      DatabaseCircuit database,
      BarRepository bars,
      OperationStore store,
      WorkerRegistry registry,
      Dispatcher dispatcher,
      WorkerHealthChecker healthChecker,
      Credentials credentials,
      UnaryOperator<String> urlPolicy) {
    RouteCatalog catalog = new RouteCatalog();
    catalog.get(
        PREFIX + "/health",
        doc("system", "Liveness: the process answers")
            .access(Access.PUBLIC)
            .responds(200, "{\"status\":\"ok\",\"version\":...}"),
        ctx -> ctx.json(Map.of("status", "ok", "version", AppVersion.get())));
    catalog.get(
        PREFIX + "/health/ready",
        doc("system", "Readiness: 200 while the database is loaded and answers, 503 otherwise")
            .access(Access.PUBLIC)
            .responds(200, "ready")
            .responds(503, "database not ready or down (the body names it)"),
        ctx -> readiness(ctx, ready, database));
    catalog.get(
        PREFIX + "/data/symbols",
        doc("data", "Instruments with stored bars"),
        ctx -> {
          requireReady(ready);
          ctx.json(Map.of("symbols", bars.instruments()));
        });
    catalog.get(
        PREFIX + "/data/timeframes",
        doc("data", "Bar sizes"),
        ctx -> ctx.json(Map.of("timeframes", Timeframe.codes())));
    catalog.get(
        PREFIX + "/data/{symbol}/{timeframe}",
        doc("data", "OHLCV bars of an instrument, oldest first")
            .query("start", "ISO-8601 date or date-time, inclusive")
            .query("end", "ISO-8601 date or date-time, inclusive")
            .responds(200, "bars")
            .responds(400, "invalid timeframe or dates")
            .responds(404, "unknown symbol"),
        ctx -> {
          requireReady(ready);
          String symbol = Requests.symbol(ctx.pathParam("symbol"));
          Timeframe timeframe = Requests.timeframe(ctx.pathParam("timeframe"));
          Instant start = Requests.instant("start", ctx.queryParam("start"));
          Instant end = Requests.instant("end", ctx.queryParam("end"));
          Requests.checkOrder(start, end);
          List<Bar> result =
              telemetry
                  .tracing()
                  .inSpan(
                      "data_loading",
                      Attributes.of(DATA_SYMBOL, symbol, DATA_TIMEFRAME, timeframe.code()),
                      () -> {
                        if (bars.instrument(symbol).isEmpty()) {
                          throw ApiException.notFound("Unknown symbol: " + symbol);
                        }
                        return bars.bars(symbol, timeframe, start, end);
                      });
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("symbol", symbol);
          body.put("timeframe", timeframe.code());
          body.put("count", result.size());
          body.put("bars", result);
          ctx.json(body);
        });
    catalog.post(
        PREFIX + OperationType.BACKTEST.startPath(),
        doc("operations", "Start a moving-average crossover backtest on a backtesting worker")
            .body(
                Map.of(
                    "symbol",
                    "AAPL",
                    "timeframe",
                    "1d",
                    "start",
                    "2023-01-01",
                    "fast_period",
                    10,
                    "slow_period",
                    30,
                    "initial_capital",
                    10000),
                START_BODY)
            .responds(202, "dispatched")
            .responds(400, "invalid body")
            .responds(404, "unknown symbol")
            .responds(503, "no backtesting worker available"),
        ctx -> {
          Requests.BacktestRequest request = Requests.body(ctx, Requests.BacktestRequest.class);
          Map<String, Object> parameters = Requests.validate(request);
          requireReady(ready);
          Requests.checkData(parameters, bars, request.slowPeriodOrDefault() + 1);
          start(ctx, store, dispatcher, OperationType.BACKTEST, parameters);
        });
    catalog.post(
        PREFIX + OperationType.TRAINING.startPath(),
        doc("operations", "Start training a direction classifier on a training worker")
            .body(
                Map.of(
                    "symbol",
                    "MSFT",
                    "timeframe",
                    "1d",
                    "epochs",
                    50,
                    "learning_rate",
                    0.1,
                    "lookback",
                    5),
                START_BODY)
            .responds(202, "dispatched")
            .responds(400, "invalid body")
            .responds(404, "unknown symbol")
            .responds(503, "no training worker available"),
        ctx -> {
          Requests.TrainingRequest request = Requests.body(ctx, Requests.TrainingRequest.class);
          Map<String, Object> parameters = Requests.validate(request);
          requireReady(ready);
          Requests.checkData(parameters, bars, request.lookbackOrDefault() + 2);
          start(ctx, store, dispatcher, OperationType.TRAINING, parameters);
        });
    catalog.get(
        PREFIX + "/operations",
        paged(doc("operations", "Operations, newest first, a page at a time"), "operations"),
        ctx -> {
          requireReady(ready);
          int limit = Requests.LIMIT.parse(ctx.queryParam("limit"));
          int offset = Requests.OFFSET.parse(ctx.queryParam("offset"));
          OperationStore.Page page = store.page(limit, offset);
          ctx.json(pageBody("operations", page.operations(), page.total(), limit, offset));
        });
    catalog.get(
        PREFIX + "/operations/{id}",
        doc("operations", "One operation: status, progress, result summary, error")
            .responds(200, "the operation")
            .responds(404, "unknown operation"),
        ctx -> {
          requireReady(ready);
          ctx.json(operation(store, ctx.pathParam("id")).toJson());
        });
    catalog.delete(
        PREFIX + "/operations/{id}",
        doc("operations", "Cancel an operation")
            .responds(202, "cancellation requested (or done, when no worker had it yet)")
            .responds(404, "unknown operation")
            .responds(409, "already finished"),
        ctx -> {
          requireReady(ready);
          OperationRecord record = operation(store, ctx.pathParam("id"));
          if (!record.cancel()) {
            throw ApiException.conflict(
                "Operation " + record.id() + " is already " + record.state().code());
          }
          if (record.state() == OperationState.CANCELLING && !dispatcher.cancel(record)) {
            record.finish(
                OperationState.CANCELLED, null, "Cancelled; the worker could not be reached");
          }
          ctx.status(202).json(record.toJson());
        });
    catalog.post(
        PREFIX + "/operations/{id}/progress",
        doc("operations", "Progress and final state, reported by the worker running it")
            .access(Access.CLUSTER)
            .body(
                Map.of("status", "running", "progress", 0.5, "message", "simulating"),
                PROGRESS_BODY)
            .responds(200, "applied")
            .responds(401, "no or wrong cluster secret")
            .responds(403, "not the worker the operation is assigned to")
            .responds(404, "unknown operation")
            .responds(409, "the operation is already final")
            .responds(413, "body or result too large"),
        ctx -> {
          requireReady(ready);
          OperationRecord record = operation(store, ctx.pathParam("id"));
          String sender = ctx.header(Credentials.WORKER_HEADER);
          if (sender == null || !sender.equals(record.workerId())) {
            throw credentials.forbidden(
                Access.CLUSTER,
                "Operation " + record.id() + " is not assigned to the worker sending this report");
          }
          Requests.ProgressReport report =
              Requests.validate(Requests.body(ctx, Requests.ProgressReport.class), MAX_RESULT);
          OperationState state = OperationState.parseFinalOrRunning(report.status());
          boolean applied =
              state == OperationState.RUNNING
                  ? record.progress(
                      report.progress() == null ? 0 : report.progress(), report.message())
                  : record.finish(state, report.result(), report.error());
          if (!applied) {
            throw ApiException.conflict(
                "Operation " + record.id() + " is already " + record.state().code());
          }
          ctx.json(record.toJson());
        });
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
    AlertWebhook alerts = new AlertWebhook(telemetry.meter("io.ktrdr.app.api"));
    catalog.post(
        PREFIX + "/alerts",
        doc("system", "Alertmanager webhook: logs and counts each alert")
            .body(
                Map.of(
                    "status",
                    "firing",
                    "alerts",
                    List.of(
                        Map.of(
                            "status", "firing",
                            "labels", Map.of("alertname", "KtrdrWorkerDown", "severity", "warning"),
                            "annotations", Map.of("summary", "KTRDR worker w:5003 is down")))),
                ALERTS_BODY)
            .responds(200, "received")
            .responds(400, "not an Alertmanager payload")
            .responds(413, "payload too large"),
        alerts::handle);
    catalog.get(
        PREFIX + "/openapi.json",
        doc("system", "This OpenAPI document").access(Access.PUBLIC),
        ctx -> ctx.json(catalog.openApi("KTRDR API", AppVersion.get(), extraRoutes())));
    catalog.get(
        PREFIX + "/docs",
        doc("system", "Swagger UI for this API").access(Access.PUBLIC),
        ctx -> {
          ctx.header("Content-Security-Policy", DOCS_POLICY);
          ctx.html(swaggerPage());
        });
    catalog.get(
        PREFIX + "/docs/init.js",
        doc("system", "Starts the Swagger UI on this API's document").access(Access.PUBLIC),
        ctx -> ctx.contentType("text/javascript").result(SWAGGER_INIT));
    return catalog;
  }

  /** The docs page runs only our own scripts and styles, and cannot be framed. */
  static final String DOCS_POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
          + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  private static final String SWAGGER_INIT =
      "window.ui = SwaggerUIBundle({url: '"
          + PREFIX
          + "/openapi.json', dom_id: '#swagger-ui',"
          + " queryConfigEnabled: false, validatorUrl: null});\n";

  /** The {@code limit} and {@code offset} parameters of a list route, with their ranges. */
  private static RouteCatalog.DocBuilder paged(RouteCatalog.DocBuilder doc, String items) {
    Requests.IntRange limit = Requests.LIMIT;
    Requests.IntRange offset = Requests.OFFSET;
    return doc.query(
            "limit",
            "page size, " + limit.min() + "-" + limit.max() + " (default " + limit.fallback() + ")",
            limit.min(),
            limit.max())
        .query(
            "offset",
            items + " to skip, " + offset.min() + "-" + offset.max() + " (default 0)",
            offset.min(),
            offset.max());
  }

  private static Map<String, Object> pageBody(
      String name, List<Map<String, Object>> items, long total, int limit, int offset) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put(name, items);
    body.put("total", total);
    body.put("limit", limit);
    body.put("offset", offset);
    body.put("next_offset", offset + items.size() < total ? offset + items.size() : null);
    return body;
  }

  /** Routes served by the telemetry plugin rather than the catalog, documented all the same. */
  static List<RouteCatalog.Route> extraRoutes() {
    RouteCatalog extra = new RouteCatalog();
    extra.get(
        "/metrics",
        doc("system", "Prometheus metrics (text, OpenMetrics or protobuf by Accept header)")
            .access(Access.PUBLIC),
        ctx -> {});
    extra.add(
        HandlerType.HEAD,
        "/metrics",
        doc("system", "Prometheus metrics, headers only").access(Access.PUBLIC),
        ctx -> {});
    return extra.routes();
  }

  private static void start(
      Context ctx,
      OperationStore store,
      Dispatcher dispatcher,
      OperationType type,
      Map<String, Object> parameters) {
    OperationRecord record = store.create(type, parameters);
    dispatcher.dispatch(record);
    ctx.status(202).json(record.toJson());
  }

  private static OperationRecord operation(OperationStore store, String id) {
    return store
        .get(id)
        .orElseThrow(
            () -> ApiException.notFound("Unknown operation: " + RequestGuard.abbreviate(id)));
  }

  /**
   * Readiness from what is already known (the circuit's probe), never a database call: a readiness
   * probe must not wait for a database that is down.
   */
  private static void readiness(Context ctx, AtomicBoolean ready, DatabaseCircuit database) {
    String state = !database.isUp() ? "down" : ready.get() ? "up" : "loading";
    if (state.equals("up")) {
      ctx.json(Map.of("status", "ready", "checks", Map.of("database", "up")));
      return;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", "unavailable");
    body.put(
        "message",
        state.equals("down") ? "The database cannot be reached" : "The database is not ready yet");
    body.put("checks", Map.of("database", state));
    ctx.status(503)
        .header("Retry-After", Integer.toString(database.retryAfterSeconds()))
        .json(body);
  }

  private static void requireReady(AtomicBoolean ready) {
    if (!ready.get()) {
      throw ApiException.unavailable("The database is not ready yet; retry shortly");
    }
  }

  private static String swaggerPage() {
    String base = "/webjars/swagger-ui/" + AppVersion.swaggerUi();
    return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>KTRDR API</title>"
        + "<link rel=\"stylesheet\" href=\""
        + base
        + "/swagger-ui.css\"></head><body>"
        + "<div id=\"swagger-ui\"></div>"
        + "<script src=\""
        + base
        + "/swagger-ui-bundle.js\"></script>"
        + "<script src=\""
        + PREFIX
        + "/docs/init.js\"></script></body></html>";
  }

  public int port() {
    return app.port();
  }

  /** The running Javalin app (for tests). */
  public Javalin javalin() {
    return app;
  }

  /** Waits until the database is loaded, at most {@code millis}. */
  public boolean awaitReady(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (!ready.get() && System.nanoTime() < deadline) {
      initializer.join(Math.max(1, Math.min(100, (deadline - System.nanoTime()) / 1_000_000)));
    }
    return ready.get();
  }

  @Override
  public void close() {
    healthChecker.close();
    initializer.interrupt();
    app.stop();
    database.close();
  }
}
