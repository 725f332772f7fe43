package io.ktrdr.app;

import io.ktrdr.app.api.HostAllowList;
import io.ktrdr.telemetry.config.ConfigException;
import io.ktrdr.telemetry.config.EnvConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The reference app's settings, read from the environment in one place. Telemetry settings ({@code
 * KTRDR_METRICS_*}, {@code OTEL_*}, ...) are read by the library. {@code docs/configuration.md}
 * lists every key with its default and the values it accepts.
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
 * @param clusterSecret {@code KTRDR_CLUSTER_SECRET} or {@code KTRDR_CLUSTER_SECRET_FILE}: the
 *     secret the API and its workers share, required, at least 32 characters
 * @param apiToken {@code KTRDR_API_TOKEN} or {@code KTRDR_API_TOKEN_FILE}: optional bearer token
 *     for the user-facing API
 * @param workerAllowList {@code KTRDR_WORKER_ALLOWED_HOSTS}: hosts and networks a worker URL may
 *     point at, default loopback only
 * @param allowedHosts {@code KTRDR_ALLOWED_HOSTS}: extra {@code Host} names accepted on
 *     state-changing requests
 * @param allowedOrigins {@code KTRDR_ALLOWED_ORIGINS}: browser origins allowed to change state
 * @param workerConnectTimeout {@code KTRDR_WORKER_CONNECT_TIMEOUT_MS}: default 1000
 * @param workerRequestTimeout {@code KTRDR_WORKER_REQUEST_TIMEOUT_MS}: default 3000
 * @param idleTimeout {@code KTRDR_HTTP_IDLE_TIMEOUT_MS}: idle connections closed after, default
 *     10000
 * @param heartbeatInterval {@code KTRDR_WORKER_HEARTBEAT_MS}: a worker's heartbeat period
 * @param reconcileAfter {@code KTRDR_OPERATION_RECONCILE_MS}: how long an operation may stay active
 *     without its worker before it is failed
 * @param operationsMax {@code KTRDR_OPERATIONS_MAX}: operations kept, default 10000
 * @param retention {@code KTRDR_OPERATIONS_RETENTION_HOURS}: finished operations kept, default 168
 * @param maxWorkers {@code KTRDR_MAX_WORKERS}: registered workers at most, default 100
 * @param clusterSecretAccepted {@code KTRDR_CLUSTER_SECRET_ACCEPTED} or its {@code _FILE}: a second
 *     secret accepted (never sent) while the cluster secret is rotated
 * @param databaseUser {@code KTRDR_DATABASE_USER}: the database user, optional
 * @param databasePassword {@code KTRDR_DATABASE_PASSWORD} or {@code KTRDR_DATABASE_PASSWORD_FILE}:
 *     the database password, optional
 * @param databaseConnectTimeout {@code KTRDR_DATABASE_CONNECT_TIMEOUT_MS}: how long a request waits
 *     for a database connection before it answers 503, default 1000
 * @param databaseProbeInterval {@code KTRDR_DATABASE_PROBE_INTERVAL_MS}: how often the database is
 *     checked (and, while it is down, how long requests are refused at once), default 1000
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
    Duration stepDelay,
    String clusterSecret,
    Optional<String> apiToken,
    HostAllowList workerAllowList,
    List<String> allowedHosts,
    List<String> allowedOrigins,
    Duration workerConnectTimeout,
    Duration workerRequestTimeout,
    Duration idleTimeout,
    Duration heartbeatInterval,
    Duration reconcileAfter,
    int operationsMax,
    Duration retention,
    int maxWorkers,
    Optional<String> databaseUser,
    Optional<String> databasePassword,
    Optional<String> clusterSecretAccepted,
    Duration databaseConnectTimeout,
    Duration databaseProbeInterval) {

  public static final String ROLE = "KTRDR_ROLE";
  static final String HOST = "KTRDR_HOST";
  static final String PORT = "KTRDR_PORT";
  static final String DATABASE_URL = "KTRDR_DATABASE_URL";
  static final String DATABASE_USER = "KTRDR_DATABASE_USER";
  static final String DATABASE_PASSWORD = "KTRDR_DATABASE_PASSWORD";
  static final String DATABASE_CONNECT_TIMEOUT = "KTRDR_DATABASE_CONNECT_TIMEOUT_MS";
  static final String DATABASE_PROBE_INTERVAL = "KTRDR_DATABASE_PROBE_INTERVAL_MS";
  static final String WORKER_TYPE = "KTRDR_WORKER_TYPE";
  static final String WORKER_ID = "KTRDR_WORKER_ID";
  static final String API_URL = "KTRDR_API_URL";
  static final String WORKER_URL = "KTRDR_WORKER_URL";
  static final String HEALTH_INTERVAL = "KTRDR_WORKER_HEALTH_INTERVAL_MS";
  static final String FAILURES_UNAVAILABLE = "KTRDR_WORKER_FAILURES_UNAVAILABLE";
  static final String FAILURES_FORGET = "KTRDR_WORKER_FAILURES_FORGET";
  static final String STEP_DELAY = "KTRDR_SIMULATION_STEP_DELAY_MS";
  public static final String CLUSTER_SECRET = "KTRDR_CLUSTER_SECRET";
  public static final String CLUSTER_SECRET_ACCEPTED = "KTRDR_CLUSTER_SECRET_ACCEPTED";
  public static final String API_TOKEN = "KTRDR_API_TOKEN";
  static final String WORKER_ALLOWED_HOSTS = "KTRDR_WORKER_ALLOWED_HOSTS";
  static final String ALLOWED_HOSTS = "KTRDR_ALLOWED_HOSTS";
  static final String ALLOWED_ORIGINS = "KTRDR_ALLOWED_ORIGINS";
  static final String CONNECT_TIMEOUT = "KTRDR_WORKER_CONNECT_TIMEOUT_MS";
  static final String REQUEST_TIMEOUT = "KTRDR_WORKER_REQUEST_TIMEOUT_MS";
  static final String IDLE_TIMEOUT = "KTRDR_HTTP_IDLE_TIMEOUT_MS";
  static final String HEARTBEAT = "KTRDR_WORKER_HEARTBEAT_MS";
  static final String RECONCILE = "KTRDR_OPERATION_RECONCILE_MS";
  static final String OPERATIONS_MAX = "KTRDR_OPERATIONS_MAX";
  static final String RETENTION = "KTRDR_OPERATIONS_RETENTION_HOURS";
  static final String MAX_WORKERS = "KTRDR_MAX_WORKERS";

  public static final String DEFAULT_DATABASE_URL = "jdbc:h2:mem:ktrdr;DB_CLOSE_DELAY=-1";
  static final String DEFAULT_WORKER_ALLOWED_HOSTS = "127.0.0.0/8,::1/128,localhost";
  static final int MIN_SECRET_LENGTH = 32;
  private static final String URL_EXPECTED =
      "an http:// or https:// URL without user info, query or fragment";

  /** Reads and validates the settings; fails naming the key on a bad value. */
  public static AppConfig from(EnvConfig env) {
    String role = env.oneOf(ROLE, "api", "worker").orElse("api");
    boolean worker = role.equals("worker");
    String host = env.host(HOST).orElse("127.0.0.1");
    int port = env.portOrZero(PORT).orElse(worker ? 5003 : 8000);
    String workerType = env.oneOf(WORKER_TYPE, "backtesting", "training").orElse("backtesting");
    String databaseUrl = env.string(DATABASE_URL).orElse(DEFAULT_DATABASE_URL);
    if (!databaseUrl.startsWith("jdbc:")) {
      throw EnvConfig.invalid(
          DATABASE_URL, Redactor.redactUrl(databaseUrl), "a JDBC URL starting with jdbc:");
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
    String clusterSecret =
        env.secretOrFile(CLUSTER_SECRET)
            .orElseThrow(
                () ->
                    EnvConfig.conflict(
                        CLUSTER_SECRET,
                        CLUSTER_SECRET
                            + " is not set: expected the secret shared by the API and its workers"
                            + " (at least "
                            + MIN_SECRET_LENGTH
                            + " characters), in "
                            + CLUSTER_SECRET
                            + " or a file named by "
                            + CLUSTER_SECRET
                            + "_FILE; e.g. openssl rand -hex 32"));
    if (clusterSecret.length() < MIN_SECRET_LENGTH) {
      throw EnvConfig.conflict(
          CLUSTER_SECRET,
          CLUSTER_SECRET
              + "=<hidden>: expected at least "
              + MIN_SECRET_LENGTH
              + " characters, got "
              + clusterSecret.length());
    }
    Optional<String> apiToken = env.secretOrFile(API_TOKEN);
    if (apiToken.isPresent() && apiToken.get().length() < 16) {
      throw EnvConfig.conflict(API_TOKEN, API_TOKEN + "=<hidden>: expected at least 16 characters");
    }
    String allowList = env.string(WORKER_ALLOWED_HOSTS).orElse(DEFAULT_WORKER_ALLOWED_HOSTS);
    HostAllowList workerAllowList;
    try {
      workerAllowList = HostAllowList.parse(allowList);
    } catch (IllegalArgumentException e) {
      throw EnvConfig.invalid(
          WORKER_ALLOWED_HOSTS,
          allowList,
          "a comma-separated list of host names, IP addresses or CIDR networks ("
              + e.getMessage()
              + ")");
    }
    return new AppConfig(
        role,
        host,
        port,
        databaseUrl,
        workerType,
        workerId,
        apiUrl,
        workerUrl,
        millis(env, HEALTH_INTERVAL, 50, 600_000, 5000),
        env.integer(FAILURES_UNAVAILABLE, 1, 100, "a count 1-100").orElse(3),
        env.integer(FAILURES_FORGET, 1, 10_000, "a count 1-10000").orElse(12),
        millis(env, STEP_DELAY, 0, 10_000, worker ? 5 : 0),
        clusterSecret,
        apiToken,
        workerAllowList,
        list(env, ALLOWED_HOSTS, "[A-Za-z0-9.:\\[\\]-]{1,255}", "host names"),
        list(
            env,
            ALLOWED_ORIGINS,
            "https?://[A-Za-z0-9.:\\[\\]-]{1,255}",
            "origins (scheme://host[:port])"),
        millis(env, CONNECT_TIMEOUT, 50, 10_000, 1000),
        millis(env, REQUEST_TIMEOUT, 100, 60_000, 3000),
        millis(env, IDLE_TIMEOUT, 1000, 600_000, 10_000),
        millis(env, HEARTBEAT, 100, 60_000, 5000),
        millis(env, RECONCILE, 500, 3_600_000, 30_000),
        env.integer(OPERATIONS_MAX, 10, 10_000_000, "a count 10-10000000").orElse(10_000),
        Duration.ofHours(env.integer(RETENTION, 1, 87_600, "hours 1-87600").orElse(168)),
        env.integer(MAX_WORKERS, 1, 10_000, "a count 1-10000").orElse(100),
        env.string(DATABASE_USER),
        env.secretOrFile(DATABASE_PASSWORD),
        accepted(env),
        // HikariCP refuses less than 250 ms; above 30 s a request outlives any client's budget.
        millis(env, DATABASE_CONNECT_TIMEOUT, 250, 30_000, 1000),
        millis(env, DATABASE_PROBE_INTERVAL, 100, 60_000, 1000));
  }

  private static Optional<String> accepted(EnvConfig env) {
    Optional<String> accepted = env.secretOrFile(CLUSTER_SECRET_ACCEPTED);
    if (accepted.isPresent() && accepted.get().length() < MIN_SECRET_LENGTH) {
      throw EnvConfig.conflict(
          CLUSTER_SECRET_ACCEPTED,
          CLUSTER_SECRET_ACCEPTED
              + "=<hidden>: expected at least "
              + MIN_SECRET_LENGTH
              + " characters");
    }
    return accepted;
  }

  /** Every secret value configured, for {@link Redactor}. */
  public List<String> secrets() {
    List<String> secrets = new java.util.ArrayList<>();
    secrets.add(clusterSecret);
    clusterSecretAccepted.ifPresent(secrets::add);
    apiToken.ifPresent(secrets::add);
    databasePassword.ifPresent(secrets::add);
    return secrets;
  }

  /** A copy with another role (the command line's role argument). */
  public static EnvConfig withRole(EnvConfig env, String role) {
    java.util.Map<String, String> map = new java.util.HashMap<>(env.asMap());
    map.put(ROLE, role);
    return EnvConfig.of(map);
  }

  private static Duration millis(EnvConfig env, String key, int min, int max, int fallback) {
    return Duration.ofMillis(
        env.integer(key, min, max, "milliseconds " + min + "-" + max).orElse(fallback));
  }

  private static List<String> list(EnvConfig env, String key, String pattern, String what) {
    Optional<String> value = env.string(key);
    if (value.isEmpty()) {
      return List.of();
    }
    List<String> items =
        Arrays.stream(value.get().split(","))
            .map(String::strip)
            .filter(s -> !s.isEmpty())
            .collect(Collectors.toList());
    for (String item : items) {
      if (!item.matches(pattern)) {
        throw EnvConfig.invalid(key, value.get(), "a comma-separated list of " + what);
      }
    }
    return List.copyOf(items);
  }

  private static String url(EnvConfig env, String key, String fallback) {
    String value = env.string(key).orElse(fallback);
    try {
      URI uri = URI.create(value);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null
          || uri.getRawUserInfo() != null
          || uri.getRawQuery() != null
          || uri.getRawFragment() != null) {
        throw EnvConfig.invalid(key, value, URL_EXPECTED);
      }
    } catch (IllegalArgumentException e) {
      if (e instanceof ConfigException) {
        throw e;
      }
      throw EnvConfig.invalid(key, value, URL_EXPECTED);
    }
    return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
  }
}
