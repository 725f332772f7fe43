package io.ktrdr.app.api;

import static io.ktrdr.app.http.RouteCatalog.doc;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.ktrdr.app.AppConfig;
import io.ktrdr.app.AppVersion;
import io.ktrdr.app.data.Bar;
import io.ktrdr.app.data.BarRepository;
import io.ktrdr.app.data.Database;
import io.ktrdr.app.data.Timeframe;
import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.Json;
import io.ktrdr.app.http.RouteCatalog;
import io.ktrdr.app.operations.OperationRecord;
import io.ktrdr.app.operations.OperationState;
import io.ktrdr.app.operations.OperationStore;
import io.ktrdr.app.operations.OperationType;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.javalin.KtrdrJavalinPlugin;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
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

  private final Javalin app;
  private final Database database;
  private final WorkerHealthChecker healthChecker;
  private final Thread initializer;

  private ApiServer(
      Javalin app, Database database, WorkerHealthChecker healthChecker, Thread initializer) {
    this.app = app;
    this.database = database;
    this.healthChecker = healthChecker;
    this.initializer = initializer;
  }

  /**
   * Builds the routes, starts listening, and fills the database in the background (readiness
   * reports 503 until it is done).
   */
  public static ApiServer start(AppConfig config, KtrdrTelemetry telemetry) {
    Database database =
        Database.create(config.databaseUrl(), source -> telemetry.tracing().dataSource(source));
    BarRepository bars = new BarRepository(database.dataSource());
    OperationStore store = new OperationStore(Clock.systemUTC());
    WorkerRegistry registry =
        new WorkerRegistry(Clock.systemUTC(), telemetry.meter("io.ktrdr.app.api"));
    HttpClient workerClient = telemetry.tracing().httpClient(HttpClient.newHttpClient());
    Dispatcher dispatcher = new Dispatcher(registry, store, workerClient);
    WorkerHealthChecker healthChecker =
        new WorkerHealthChecker(
            registry,
            store,
            telemetry.meter("io.ktrdr.app.api"),
            config.healthInterval(),
            config.failuresBeforeUnavailable(),
            config.failuresBeforeForget());
    RouteCatalog catalog = routes(telemetry, database, bars, store, registry, dispatcher);

    Javalin app =
        Javalin.create(
            javalin -> {
              javalin.startup.showJavalinBanner = false;
              javalin.staticFiles.enableWebjars();
              Json.configure(javalin);
              javalin.registerPlugin(
                  new KtrdrJavalinPlugin(
                      plugin -> {
                        plugin.telemetry = telemetry;
                        plugin.excludedPaths = List.of("/metrics", "/webjars/*");
                      }));
              catalog.install(javalin);
            });
    app.start(config.host(), config.port());
    Thread initializer =
        new Thread(
            () -> {
              try {
                database.initialize();
              } catch (Exception e) {
                logger.error("Database initialization failed; the API stays not ready", e);
              }
            },
            "ktrdr-db-init");
    initializer.setDaemon(true);
    initializer.start();
    logger.info("KTRDR API listening on http://{}:{}", config.host(), app.port());
    return new ApiServer(app, database, healthChecker, initializer);
  }

  private static RouteCatalog routes(
      KtrdrTelemetry telemetry,
      Database database,
      BarRepository bars,
      OperationStore store,
      WorkerRegistry registry,
      Dispatcher dispatcher) {
    RouteCatalog catalog = new RouteCatalog();
    catalog.get(
        PREFIX + "/health",
        doc("system", "Liveness: the process answers")
            .responds(200, "{\"status\":\"ok\",\"version\":...}"),
        ctx -> ctx.json(Map.of("status", "ok", "version", AppVersion.get())));
    catalog.get(
        PREFIX + "/health/ready",
        doc("system", "Readiness: 200 once the database is loaded, 503 before")
            .responds(200, "ready")
            .responds(503, "database not ready"),
        ctx -> {
          if (!database.isReady()) {
            throw ApiException.unavailable("The database is not ready yet");
          }
          ctx.json(Map.of("status", "ready"));
        });
    catalog.get(
        PREFIX + "/data/symbols",
        doc("data", "Instruments with stored bars"),
        ctx -> {
          requireReady(database);
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
          requireReady(database);
          String symbol = ctx.pathParam("symbol");
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
                    10000))
            .responds(202, "dispatched")
            .responds(400, "invalid body")
            .responds(404, "unknown symbol")
            .responds(503, "no backtesting worker available"),
        ctx -> {
          requireReady(database);
          Requests.BacktestRequest request = Json.body(ctx, Requests.BacktestRequest.class);
          start(ctx, store, dispatcher, OperationType.BACKTEST, Requests.validate(request, bars));
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
                    5))
            .responds(202, "dispatched")
            .responds(400, "invalid body")
            .responds(404, "unknown symbol")
            .responds(503, "no training worker available"),
        ctx -> {
          requireReady(database);
          Requests.TrainingRequest request = Json.body(ctx, Requests.TrainingRequest.class);
          start(ctx, store, dispatcher, OperationType.TRAINING, Requests.validate(request, bars));
        });
    catalog.get(
        PREFIX + "/operations",
        doc("operations", "All operations, newest first"),
        ctx ->
            ctx.json(
                Map.of(
                    "operations",
                    store.list().stream()
                        .map(OperationRecord::toJson)
                        .collect(Collectors.toList()))));
    catalog.get(
        PREFIX + "/operations/{id}",
        doc("operations", "One operation: status, progress, result summary, error")
            .responds(200, "the operation")
            .responds(404, "unknown operation"),
        ctx -> ctx.json(operation(store, ctx.pathParam("id")).toJson()));
    catalog.delete(
        PREFIX + "/operations/{id}",
        doc("operations", "Cancel an operation")
            .responds(202, "cancellation requested")
            .responds(404, "unknown operation")
            .responds(409, "already finished"),
        ctx -> {
          OperationRecord record = operation(store, ctx.pathParam("id"));
          if (!record.cancelling()) {
            throw ApiException.conflict(
                "Operation " + record.id() + " is already " + record.state().code());
          }
          if (!dispatcher.cancel(record)) {
            record.finish(
                OperationState.CANCELLED, null, "Cancelled; the worker could not be reached");
          }
          ctx.status(202).json(record.toJson());
        });
    catalog.post(
        PREFIX + "/operations/{id}/progress",
        doc("operations", "Progress and final state, reported by the worker running it")
            .body(Map.of("status", "running", "progress", 0.5, "message", "simulating"))
            .responds(200, "applied")
            .responds(404, "unknown operation")
            .responds(409, "the operation is already final"),
        ctx -> {
          OperationRecord record = operation(store, ctx.pathParam("id"));
          Requests.ProgressReport report = Json.body(ctx, Requests.ProgressReport.class);
          OperationState state;
          try {
            state = OperationState.parseFinalOrRunning(report.status());
          } catch (IllegalArgumentException | NullPointerException e) {
            throw ApiException.badRequest(
                "status must be one of running, completed, failed, cancelled");
          }
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
            .body(
                Map.of(
                    "worker_id",
                    "backtesting-1",
                    "worker_type",
                    "backtesting",
                    "url",
                    "http://127.0.0.1:5003"))
            .responds(200, "registered")
            .responds(400, "invalid body"),
        ctx -> {
          Requests.RegisterRequest request = Json.body(ctx, Requests.RegisterRequest.class);
          if (request.workerId() == null || !request.workerId().matches("[A-Za-z0-9._-]{1,64}")) {
            throw ApiException.badRequest(
                "worker_id must be 1-64 letters, digits, '.', '_' or '-'");
          }
          try {
            OperationType.forWorkerType(request.workerType());
          } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("worker_type must be backtesting or training");
          }
          if (request.url() == null || !request.url().matches("https?://[^/\\s]+(/\\S*)?")) {
            throw ApiException.badRequest("url must be an http:// or https:// URL");
          }
          String url =
              request.url().endsWith("/")
                  ? request.url().substring(0, request.url().length() - 1)
                  : request.url();
          registry.register(request.workerId(), request.workerType(), url);
          logger
              .atInfo()
              .addKeyValue("worker_id", request.workerId())
              .addKeyValue("worker_type", request.workerType())
              .log("Worker registered");
          ctx.json(Map.of("status", "registered", "worker_id", request.workerId()));
        });
    catalog.get(
        PREFIX + "/workers",
        doc("workers", "Registered workers and their health"),
        ctx -> ctx.json(Map.of("workers", registry.toJson())));
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
                            "annotations", Map.of("summary", "KTRDR worker w:5003 is down")))))
            .responds(200, "received")
            .responds(400, "not an Alertmanager payload"),
        alerts::handle);
    catalog.get(
        PREFIX + "/openapi.json",
        doc("system", "This OpenAPI document"),
        ctx -> ctx.json(catalog.openApi("KTRDR API", AppVersion.get(), extraRoutes())));
    catalog.get(
        PREFIX + "/docs", doc("system", "Swagger UI for this API"), ctx -> ctx.html(swaggerPage()));
    return catalog;
  }

  /** Routes served by the telemetry plugin rather than the catalog, documented all the same. */
  static List<RouteCatalog.Route> extraRoutes() {
    RouteCatalog extra = new RouteCatalog();
    extra.get(
        "/metrics",
        doc("system", "Prometheus metrics (text, OpenMetrics or protobuf by Accept header)"),
        ctx -> {});
    extra.add(
        HandlerType.HEAD, "/metrics", doc("system", "Prometheus metrics, headers only"), ctx -> {});
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
    return store.get(id).orElseThrow(() -> ApiException.notFound("Unknown operation: " + id));
  }

  private static void requireReady(Database database) {
    if (!database.isReady()) {
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
        + "<script>window.ui = SwaggerUIBundle({url: '"
        + PREFIX
        + "/openapi.json',"
        + " dom_id: '#swagger-ui'});</script></body></html>";
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
    initializer.join(millis);
    return database.isReady();
  }

  @Override
  public void close() {
    healthChecker.close();
    app.stop();
  }
}
