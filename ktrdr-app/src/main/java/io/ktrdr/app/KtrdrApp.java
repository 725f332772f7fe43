package io.ktrdr.app;

import io.ktrdr.app.api.ApiServer;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.config.ConfigException;
import io.ktrdr.telemetry.config.EnvConfig;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the KTRDR reference app in the role {@code KTRDR_ROLE} names. Exits with status 2 and a
 * message naming the key when the configuration is invalid.
 */
public final class KtrdrApp {
  private static final Logger logger = LoggerFactory.getLogger(KtrdrApp.class);

  private KtrdrApp() {}

  public static void main(String[] args) throws InterruptedException {
    AppConfig config;
    KtrdrTelemetry telemetry;
    try {
      config = AppConfig.from(EnvConfig.fromSystem());
      telemetry =
          KtrdrTelemetry.builder()
              .serviceName("ktrdr-api")
              .serviceVersion(AppVersion.get())
              .registerGlobal(true)
              // This class's own hook stops the server first, then the telemetry.
              .shutdownHook(false)
              .build();
    } catch (ConfigException e) {
      System.err.println("ktrdr-app: invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    ApiServer server;
    try {
      server = ApiServer.start(config, telemetry);
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
                  server.close();
                  telemetry.close();
                  stopped.countDown();
                },
                "ktrdr-app-shutdown"));
    stopped.await();
  }
}
