package io.ktrdr.telemetry.logback;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.KtrdrTelemetryBuilder;
import io.ktrdr.telemetry.javalin.KtrdrJavalinPlugin;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A Javalin app with the telemetry plugin on a random loopback port, for the logging tests: what a
 * logback user's service is. Its telemetry serves {@code /metrics} through the plugin.
 */
final class LoggingApp implements AutoCloseable {
  final KtrdrTelemetry telemetry;
  private final Javalin app;

  private LoggingApp(KtrdrTelemetry telemetry, Javalin app) {
    this.telemetry = telemetry;
    this.app = app;
  }

  /** Starts with {@code options} on a test builder and the extra {@code routes}. */
  static LoggingApp start(
      Consumer<KtrdrTelemetryBuilder> options, BiConsumer<JavalinConfig, KtrdrTelemetry> routes) {
    KtrdrTelemetryBuilder builder =
        KtrdrTelemetry.builder().environment(Map.of()).shutdownHook(false);
    options.accept(builder);
    KtrdrTelemetry telemetry = builder.build();
    Javalin app =
        Javalin.create(
                config -> {
                  config.registerPlugin(new KtrdrJavalinPlugin(p -> p.telemetry = telemetry));
                  routes.accept(config, telemetry);
                })
            .start("127.0.0.1", 0);
    return new LoggingApp(telemetry, app);
  }

  String url(String path) {
    return "http://127.0.0.1:" + app.port() + path;
  }

  @Override
  public void close() {
    app.stop();
    telemetry.close();
  }
}
