package io.ktrdr.app;

import io.ktrdr.telemetry.config.EnvConfig;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;

/**
 * The reference app's settings, read from the environment in one place. Telemetry settings ({@code
 * KTRDR_METRICS_*}, {@code OTEL_*}, ...) are read by the library.
 *
 * @param role {@code KTRDR_ROLE}: {@code api} (default) or {@code worker}
 * @param host {@code KTRDR_HOST}: address to bind, default {@code 127.0.0.1}
 * @param port {@code KTRDR_PORT}: default 8000 for the API, 5003 for a worker
 * @param databaseUrl {@code KTRDR_DATABASE_URL}: JDBC URL, default an embedded in-memory H2
 * @param workerType {@code KTRDR_WORKER_TYPE}: {@code backtesting} (default) or {@code training}
 * @param workerId {@code KTRDR_WORKER_ID}: default {@code <type>-<port>-<random>}
 * @param apiUrl {@code KTRDR_API_URL}: where a worker finds the API, default {@code
 *     http://127.0.0.1:8000}
 * @param workerUrl {@code KTRDR_WORKER_URL}: the URL the API calls a worker back on, default {@code
 *     http://<host>:<port>}
 * @param healthInterval {@code KTRDR_WORKER_HEALTH_INTERVAL_MS}: API's worker health check period
 * @param failuresBeforeUnavailable {@code KTRDR_WORKER_FAILURES_UNAVAILABLE}: default 3
 * @param failuresBeforeForget {@code KTRDR_WORKER_FAILURES_FORGET}: default 12
 * @param stepDelay {@code KTRDR_SIMULATION_STEP_DELAY_MS}: a worker's pause per simulated step
 */
public record AppConfig(
    String role,
    String host,
    int port,
    String databaseUrl,
    String workerType,
    String workerId,
    String apiUrl,
    String workerUrl,
    Duration healthInterval,
    int failuresBeforeUnavailable,
    int failuresBeforeForget,
    Duration stepDelay) {

  static final String ROLE = "KTRDR_ROLE";
  static final String HOST = "KTRDR_HOST";
  static final String PORT = "KTRDR_PORT";
  static final String DATABASE_URL = "KTRDR_DATABASE_URL";
  static final String WORKER_TYPE = "KTRDR_WORKER_TYPE";
  static final String WORKER_ID = "KTRDR_WORKER_ID";
  static final String API_URL = "KTRDR_API_URL";
  static final String WORKER_URL = "KTRDR_WORKER_URL";
  static final String HEALTH_INTERVAL = "KTRDR_WORKER_HEALTH_INTERVAL_MS";
  static final String FAILURES_UNAVAILABLE = "KTRDR_WORKER_FAILURES_UNAVAILABLE";
  static final String FAILURES_FORGET = "KTRDR_WORKER_FAILURES_FORGET";
  static final String STEP_DELAY = "KTRDR_SIMULATION_STEP_DELAY_MS";

  public static final String DEFAULT_DATABASE_URL = "jdbc:h2:mem:ktrdr;DB_CLOSE_DELAY=-1";

  /** Reads and validates the settings; fails naming the key on a bad value. */
  public static AppConfig from(EnvConfig env) {
    String role = env.oneOf(ROLE, "api", "worker").orElse("api");
    boolean worker = role.equals("worker");
    String host = env.host(HOST).orElse("127.0.0.1");
    int port = env.portOrZero(PORT).orElse(worker ? 5003 : 8000);
    String workerType = env.oneOf(WORKER_TYPE, "backtesting", "training").orElse("backtesting");
    String databaseUrl = env.string(DATABASE_URL).orElse(DEFAULT_DATABASE_URL);
    if (!databaseUrl.startsWith("jdbc:")) {
      throw EnvConfig.invalid(DATABASE_URL, databaseUrl, "a JDBC URL starting with jdbc:");
    }
    String workerId =
        env.string(WORKER_ID)
            .orElse(workerType + "-" + port + "-" + UUID.randomUUID().toString().substring(0, 6));
    if (!workerId.matches("[A-Za-z0-9._-]{1,64}")) {
      throw EnvConfig.invalid(WORKER_ID, workerId, "1-64 letters, digits, '.', '_' or '-'");
    }
    String apiUrl = url(env, API_URL, "http://127.0.0.1:8000");
    String workerUrl =
        url(
            env,
            WORKER_URL,
            "http://" + (host.equals("0.0.0.0") ? "127.0.0.1" : host) + ":" + port);
    return new AppConfig(
        role,
        host,
        port,
        databaseUrl,
        workerType,
        workerId,
        apiUrl,
        workerUrl,
        Duration.ofMillis(
            env.integer(HEALTH_INTERVAL, 50, 600_000, "milliseconds 50-600000").orElse(5000)),
        env.integer(FAILURES_UNAVAILABLE, 1, 100, "a count 1-100").orElse(3),
        env.integer(FAILURES_FORGET, 1, 10_000, "a count 1-10000").orElse(12),
        Duration.ofMillis(
            env.integer(STEP_DELAY, 0, 10_000, "milliseconds 0-10000").orElse(worker ? 5 : 0)));
  }

  private static String url(EnvConfig env, String key, String fallback) {
    String value = env.string(key).orElse(fallback);
    try {
      URI uri = URI.create(value);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw EnvConfig.invalid(key, value, "an http:// or https:// URL");
      }
    } catch (IllegalArgumentException e) {
      if (e instanceof io.ktrdr.telemetry.config.ConfigException) {
        throw e;
      }
      throw EnvConfig.invalid(key, value, "an http:// or https:// URL");
    }
    return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
  }
}
