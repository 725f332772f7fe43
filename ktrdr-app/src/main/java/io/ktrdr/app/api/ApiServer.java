package io.ktrdr.app.api;

import static io.ktrdr.app.http.RouteCatalog.doc;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.ktrdr.app.AppConfig;
import io.ktrdr.app.AppVersion;
import io.ktrdr.app.Redactor;
import io.ktrdr.app.data.BarRepository;
import io.ktrdr.app.data.Database;
import io.ktrdr.app.data.DatabaseCircuit;
import io.ktrdr.app.http.Access;
import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.Credentials;
import io.ktrdr.app.http.RequestGuard;
import io.ktrdr.app.http.RouteCatalog;
import io.ktrdr.app.http.ServerSetup;
import io.ktrdr.app.operations.OperationRecord;
import io.ktrdr.app.operations.OperationStore;
import io.ktrdr.app.operations.OperationType;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.javalin.KtrdrJavalinPlugin;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.Meter;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  static final Logger logger = LoggerFactory.getLogger(ApiServer.class);
  static final String PREFIX = "/api/v1";
  static final AttributeKey<String> DATA_SYMBOL = AttributeKey.stringKey("data.symbol");
  static final AttributeKey<String> DATA_TIMEFRAME = AttributeKey.stringKey("data.timeframe");

  /** Body limits per endpoint, in bytes. */
  static final int START_BODY = 4 * 1024;

  static final int REGISTER_BODY = 2 * 1024;
  static final int HEARTBEAT_BODY = 1024;
  static final int PROGRESS_BODY = 128 * 1024;
  private static final int ALERTS_BODY = 256 * 1024;

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

  static RouteCatalog routes(
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
    DataRoutes.register(catalog, telemetry, ready, bars);
    OperationRoutes.register(catalog, ready, bars, store, dispatcher, credentials);
    WorkerRoutes.register(catalog, ready, registry, healthChecker, credentials, urlPolicy);
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
  private static final String DOCS_POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
          + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  private static final String SWAGGER_INIT =
      "window.ui = SwaggerUIBundle({url: '"
          + PREFIX
          + "/openapi.json', dom_id: '#swagger-ui',"
          + " queryConfigEnabled: false, validatorUrl: null});\n";

  /** The {@code limit} and {@code offset} parameters of a list route, with their ranges. */
  static RouteCatalog.DocBuilder paged(RouteCatalog.DocBuilder doc, String items) {
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

  static Map<String, Object> pageBody(
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
  private static List<RouteCatalog.Route> extraRoutes() {
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

  static void start(
      Context ctx,
      OperationStore store,
      Dispatcher dispatcher,
      OperationType type,
      Map<String, Object> parameters) {
    OperationRecord record = store.create(type, parameters);
    dispatcher.dispatch(record);
    ctx.status(202).json(record.toJson());
  }

  static OperationRecord operation(OperationStore store, String id) {
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

  static void requireReady(AtomicBoolean ready) {
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
