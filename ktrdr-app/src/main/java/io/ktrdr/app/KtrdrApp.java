package io.ktrdr.app;

import io.ktrdr.app.api.ApiServer;
import io.ktrdr.app.worker.WorkerServer;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.KtrdrTelemetryBuilder;
import io.ktrdr.telemetry.config.EnvConfig;
import io.ktrdr.telemetry.logback.KtrdrLogback;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the KTRDR reference app in the role {@code KTRDR_ROLE} names: {@code api} (service {@code
 * ktrdr-api}) or {@code worker} (service {@code ktrdr-worker}, identified by {@code
 * KTRDR_WORKER_ID}). Exits with status 2 and a message naming the key when the configuration is
 * invalid, 1 when the server cannot start.
 */
public final class KtrdrApp {
  private static final Logger logger = LoggerFactory.getLogger(KtrdrApp.class);

  private KtrdrApp() {}

  public static void main(String[] args) throws InterruptedException {
    AppConfig config;
    KtrdrTelemetry telemetry;
    try {
      config = AppConfig.from(EnvConfig.fromSystem());
      boolean worker = config.role().equals("worker");
      KtrdrTelemetryBuilder builder =
          KtrdrTelemetry.builder()
              .serviceName(worker ? "ktrdr-worker" : "ktrdr-api")
              .serviceVersion(AppVersion.get())
              .registerGlobal(true)
              // This class's own hook stops the server first, then the telemetry.
              .shutdownHook(false);
      if (worker) {
        builder.workerId(config.workerId());
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
      logger.error("ktrdr-app failed to start: {}", e.getMessage(), e);
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
}
