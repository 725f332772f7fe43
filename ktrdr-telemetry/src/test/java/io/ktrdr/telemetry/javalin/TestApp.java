package io.ktrdr.telemetry.javalin;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.BadRequestResponse;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.KtrdrTelemetryBuilder;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/** A small Javalin app on a random port with the plugin installed. */
public final class TestApp implements AutoCloseable {
  public final KtrdrTelemetry telemetry;
  public final Javalin app;

  private TestApp(KtrdrTelemetry telemetry, Javalin app) {
    this.telemetry = telemetry;
    this.app = app;
  }

  public static TestApp start() {
    return start(builder -> {}, plugin -> {});
  }

  public static TestApp start(
      Consumer<KtrdrTelemetryBuilder> telemetryOptions,
      Consumer<KtrdrJavalinPlugin.Config> pluginOptions) {
    return start(telemetryOptions, pluginOptions, (config, telemetry) -> {});
  }

  /** Starts with extra routes; {@code routes} gets the config and the telemetry. */
  public static TestApp start(
      Consumer<KtrdrTelemetryBuilder> telemetryOptions,
      Consumer<KtrdrJavalinPlugin.Config> pluginOptions,
      BiConsumer<JavalinConfig, KtrdrTelemetry> routes) {
    KtrdrTelemetryBuilder builder =
        KtrdrTelemetry.builder()
            .serviceName("test-service")
            .environment(Map.of())
            .shutdownHook(false);
    telemetryOptions.accept(builder);
    KtrdrTelemetry telemetry = builder.build();
    Javalin app =
        Javalin.create(
                config -> {
                  config.registerPlugin(
                      new KtrdrJavalinPlugin(
                          plugin -> {
                            plugin.telemetry = telemetry;
                            pluginOptions.accept(plugin);
                          }));
                  config.routes.get(
                      "/api/v1/data/{symbol}/{timeframe}",
                      ctx ->
                          ctx.result(ctx.pathParam("symbol") + "@" + ctx.pathParam("timeframe")));
                  config.routes.get("/api/v1/health", ctx -> ctx.result("ok"));
                  config.routes.post("/api/v1/items", ctx -> ctx.status(201).result("created"));
                  config.routes.get(
                      "/boom",
                      ctx -> {
                        throw new IllegalStateException("handler failed");
                      });
                  config.routes.get(
                      "/bad",
                      ctx -> {
                        throw new BadRequestResponse("bad input");
                      });
                  config.routes.get("/unavailable", ctx -> ctx.status(503).result("busy"));
                  config.routes.get(
                      "/async",
                      ctx ->
                          ctx.future(
                              () ->
                                  CompletableFuture.supplyAsync(() -> "later")
                                      .thenAccept(ctx::result)));
                  routes.accept(config, telemetry);
                })
            .start("127.0.0.1", 0);
    return new TestApp(telemetry, app);
  }

  public String url(String path) {
    return "http://127.0.0.1:" + app.port() + path;
  }

  @Override
  public void close() {
    app.stop();
    telemetry.close();
  }
}
