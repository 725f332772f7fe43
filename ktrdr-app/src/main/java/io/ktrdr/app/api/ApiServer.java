package io.ktrdr.app.api;

import io.javalin.Javalin;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson3;
import io.ktrdr.app.AppConfig;
import io.ktrdr.app.AppVersion;
import io.ktrdr.app.data.SymbolCatalog;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.javalin.KtrdrJavalinPlugin;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The KTRDR API: a Javalin server with the telemetry plugin and JSON errors. */
public final class ApiServer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(ApiServer.class);

  private final Javalin app;

  private ApiServer(Javalin app) {
    this.app = app;
  }

  /** Builds the routes and starts listening on {@code config.host():config.port()}. */
  public static ApiServer start(AppConfig config, KtrdrTelemetry telemetry) {
    SymbolCatalog symbols = new SymbolCatalog();
    Javalin app =
        Javalin.create(
            javalin -> {
              javalin.startup.showJavalinBanner = false;
              javalin.jsonMapper(new JavalinJackson3());
              javalin.registerPlugin(
                  new KtrdrJavalinPlugin(
                      plugin -> {
                        plugin.telemetry = telemetry;
                        plugin.excludedPaths = List.of("/metrics");
                      }));
              javalin.routes.get(
                  "/api/v1/health",
                  ctx -> ctx.json(Map.of("status", "ok", "version", AppVersion.get())));
              javalin.routes.get(
                  "/api/v1/data/symbols", ctx -> ctx.json(Map.of("symbols", symbols.all())));
              javalin.routes.exception(
                  HttpResponseException.class,
                  (e, ctx) -> ctx.status(e.getStatus()).json(error(e.getStatus(), e.getMessage())));
              javalin.routes.exception(
                  Exception.class,
                  (e, ctx) -> {
                    logger.error("Request failed: {} {}", ctx.method(), ctx.path(), e);
                    ctx.status(500).json(error(500, "An internal error occurred"));
                  });
            });
    app.start(config.host(), config.port());
    logger.info("KTRDR API listening on http://{}:{}", config.host(), app.port());
    return new ApiServer(app);
  }

  static Map<String, Object> error(int status, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", reason(status));
    body.put("message", message);
    return body;
  }

  private static String reason(int status) {
    switch (status) {
      case 400:
        return "bad_request";
      case 404:
        return "not_found";
      case 405:
        return "method_not_allowed";
      case 503:
        return "unavailable";
      default:
        return status >= 500 ? "internal_error" : "error";
    }
  }

  public int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
  }
}
