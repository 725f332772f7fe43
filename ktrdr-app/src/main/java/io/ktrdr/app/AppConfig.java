package io.ktrdr.app;

import io.ktrdr.telemetry.config.EnvConfig;

/**
 * The reference app's own settings, read from the environment in one place. Telemetry settings
 * ({@code KTRDR_METRICS_*}, {@code OTEL_*}) are read by the library.
 *
 * @param role {@code KTRDR_ROLE}: {@code api} (default)
 * @param host {@code KTRDR_HOST}: address to bind, default {@code 127.0.0.1}
 * @param port {@code KTRDR_PORT}: default 8000
 */
public record AppConfig(String role, String host, int port) {
  static final String ROLE = "KTRDR_ROLE";
  static final String HOST = "KTRDR_HOST";
  static final String PORT = "KTRDR_PORT";

  /** Reads and validates the settings; fails naming the key on a bad value. */
  public static AppConfig from(EnvConfig env) {
    return new AppConfig(
        env.oneOf(ROLE, "api").orElse("api"),
        env.host(HOST).orElse("127.0.0.1"),
        env.portOrZero(PORT).orElse(8000));
  }
}
