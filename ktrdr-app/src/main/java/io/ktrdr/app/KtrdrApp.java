package io.ktrdr.app;

import io.ktrdr.app.api.ApiServer;
import io.ktrdr.app.worker.WorkerServer;
import io.ktrdr.telemetry.InboundTraces;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.KtrdrTelemetryBuilder;
import io.ktrdr.telemetry.config.EnvConfig;
import io.ktrdr.telemetry.logback.KtrdrLogback;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the KTRDR reference app in the role named by its argument ({@code api} or {@code worker})
 * or, without one, by {@code KTRDR_ROLE}: {@code api} (service {@code ktrdr-api}) or {@code worker}
 * (service {@code ktrdr-worker}, identified by {@code KTRDR_WORKER_ID}). {@code --help} prints the
 * usage. Exits with status 2 and a message naming the key or argument when the command line or the
 * configuration is invalid, 1 when the server cannot start.
 */
public final class KtrdrApp {
  private static final Logger logger = LoggerFactory.getLogger(KtrdrApp.class);

  static final java.time.Duration SHUTDOWN_TIMEOUT = java.time.Duration.ofSeconds(3);

  private KtrdrApp() {}

  static final String USAGE =
      String.join(
          "\n",
          "Usage: java -jar ktrdr-app.jar [api|worker] [--help]",
          "",
          "Runs the KTRDR reference API (default) or a worker. Without an argument the role comes",
          "from KTRDR_ROLE. Everything else is configured by environment variables:",
          "  KTRDR_CLUSTER_SECRET or KTRDR_CLUSTER_SECRET_FILE  secret shared by the API and its",
          "                                     workers (required, at least 32 characters)",
          "  KTRDR_HOST, KTRDR_PORT             address and port to listen on",
          "  KTRDR_API_URL                      where a worker finds the API",
          "  KTRDR_WORKER_TYPE, KTRDR_WORKER_ID a worker's type (backtesting, training) and id",
          "  KTRDR_DATABASE_URL                 the API's JDBC URL (default: embedded H2)",
          "See docs/configuration.md and docs/reference-app.md for every key.",
          "");

  public static void main(String[] args) throws InterruptedException {
    String role;
    try {
      role = role(args);
    } catch (IllegalArgumentException e) {
      System.err.println("ktrdr-app: " + e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    if (role == null) {
      System.out.print(USAGE);
      return;
    }
    AppConfig config;
    KtrdrTelemetry telemetry;
    try {
      EnvConfig env = EnvConfig.fromSystem();
      config = AppConfig.from(role.isEmpty() ? env : AppConfig.withRole(env, role));
      boolean worker = config.role().equals("worker");
      KtrdrTelemetryBuilder builder =
          KtrdrTelemetry.builder()
              .serviceName(worker ? "ktrdr-worker" : "ktrdr-api")
              .serviceVersion(AppVersion.get())
              .registerGlobal(true)
              // This class's own hook stops the server first, then the telemetry, well inside
              // Docker's 10 s grace period even when the collector is down.
              .shutdownHook(false)
              .shutdownTimeout(SHUTDOWN_TIMEOUT);
      if (worker) {
        builder.workerId(config.workerId());
      } else {
        // The API faces users: a caller neither picks what is traced nor gives us its trace id,
        // baggage or tracestate (KTRDR_TRACES_INBOUND overrides; workers trust the API).
        builder.tracesInbound(InboundTraces.NEW_ROOT);
      }
      telemetry = builder.build();
      // JSON log lines with the service context; the JVM exits right after, so it is not closed.
      KtrdrLogback.install(telemetry);
    } catch (IllegalArgumentException e) {
      // A ConfigException (KTRDR_* keys) or the OTEL_* error, both naming the key.
      System.err.println("ktrdr-app: invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    AutoCloseable server;
    try {
      server =
          config.role().equals("worker")
              ? WorkerServer.start(config, telemetry)
              : ApiServer.start(config, telemetry);
    } catch (RuntimeException e) {
      logger.error(
          "ktrdr-app failed to start: {}", Redactor.redact(e.getMessage()), Redactor.redact(e));
      telemetry.close();
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  logger.info("Stopping");
                  try {
                    server.close();
                  } catch (Exception e) {
                    logger.warn("Error while stopping", e);
                  }
                  telemetry.close();
                  stopped.countDown();
                },
                "ktrdr-app-shutdown"));
    stopped.await();
  }

  /**
   * The role on the command line: {@code "api"} or {@code "worker"}, {@code ""} when none is given
   * (then {@code KTRDR_ROLE} decides), null for {@code --help}. Anything else is refused.
   */
  static String role(String[] args) {
    String role = "";
    for (String arg : args) {
      if (arg.equals("--help") || arg.equals("-h") || arg.equals("help")) {
        return null;
      }
      if ((arg.equals("api") || arg.equals("worker")) && role.isEmpty()) {
        role = arg;
      } else {
        throw new IllegalArgumentException(
            "unknown argument '" + arg.replaceAll("[^\\x20-\\x7e]", "?") + "'");
      }
    }
    return role;
  }
}
