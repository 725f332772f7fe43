package io.ktrdr.telemetry;

import io.ktrdr.telemetry.config.EnvConfig;
import io.ktrdr.telemetry.metrics.MetricsAuth;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The one place that reads {@code KTRDR_*} environment variables for the library. It only calls
 * builder setters, so the builder stays the single source of truth.
 */
final class EnvironmentLayer {
  static final String ENVIRONMENT = "KTRDR_ENVIRONMENT";
  static final String SERVICE_VERSION = "KTRDR_SERVICE_VERSION";
  static final String JVM_METRICS_ENABLED = "KTRDR_JVM_METRICS_ENABLED";
  static final String METRICS_USERNAME = "KTRDR_METRICS_USERNAME";
  static final String METRICS_PASSWORD = "KTRDR_METRICS_PASSWORD";
  static final String METRICS_BEARER_TOKEN = "KTRDR_METRICS_BEARER_TOKEN";
  static final String METRICS_HOST = "KTRDR_METRICS_HOST";
  static final String METRICS_PORT = "KTRDR_METRICS_PORT";
  static final String TRACING_ENABLED = "KTRDR_TRACING_ENABLED";
  static final String WORKER_ID = "KTRDR_WORKER_ID";
  static final String LOG_FORMAT = "KTRDR_LOG_FORMAT";
  static final String LOGS_OTLP_ENABLED = "KTRDR_LOGS_OTLP_ENABLED";

  private EnvironmentLayer() {}

  static void apply(KtrdrTelemetryBuilder builder) {
    EnvConfig env =
        builder.environment == null ? EnvConfig.fromSystem() : EnvConfig.of(builder.environment);
    env.string(ENVIRONMENT).ifPresent(builder::deploymentEnvironment);
    env.string(SERVICE_VERSION).ifPresent(builder::serviceVersion);
    env.bool(JVM_METRICS_ENABLED).ifPresent(builder::jvmMetrics);
    metricsAuth(env).ifPresent(builder::metricsAuth);
    env.host(METRICS_HOST).ifPresent(builder::metricsServerHost);
    env.portOrZero(METRICS_PORT).ifPresent(builder::metricsServerPort);
    env.bool(TRACING_ENABLED).ifPresent(builder::tracing);
    env.string(WORKER_ID).ifPresent(builder::workerId);
    env.bool(LOGS_OTLP_ENABLED).ifPresent(builder::exportLogs);
    // Read by the shipped logback configuration; validated here so a typo fails start-up.
    env.oneOf(LOG_FORMAT, "json", "text");
  }

  private static Optional<MetricsAuth> metricsAuth(EnvConfig env) {
    Optional<String> username = env.string(METRICS_USERNAME);
    Optional<String> password = env.secretOrFile(METRICS_PASSWORD);
    Optional<String> token = env.secretOrFile(METRICS_BEARER_TOKEN);
    if (token.isPresent() && (username.isPresent() || password.isPresent())) {
      throw EnvConfig.conflict(
          METRICS_BEARER_TOKEN,
          METRICS_BEARER_TOKEN
              + " is set together with "
              + METRICS_USERNAME
              + "/"
              + METRICS_PASSWORD
              + ": expected one authentication method, a bearer token or basic auth");
    }
    if (token.isPresent()) {
      return Optional.of(MetricsAuth.bearer(token.get()));
    }
    if (username.isPresent() != password.isPresent()) {
      String missing = username.isPresent() ? METRICS_PASSWORD : METRICS_USERNAME;
      String present = username.isPresent() ? METRICS_USERNAME : METRICS_PASSWORD;
      throw EnvConfig.conflict(
          missing, missing + " is not set: expected it together with " + present + " (basic auth)");
    }
    if (username.isPresent()) {
      if (username.get().indexOf(':') >= 0) {
        throw EnvConfig.invalid(METRICS_USERNAME, username.get(), "a user name without ':'");
      }
      return Optional.of(MetricsAuth.basic(username.get(), password.get()));
    }
    return Optional.empty();
  }

  /**
   * The {@code OTEL_*} entries of an injected environment as OpenTelemetry property names ({@code
   * OTEL_SERVICE_NAME} becomes {@code otel.service.name}), so that autoconfigure sees them.
   */
  static Map<String, String> otelProperties(Map<String, String> environment) {
    Map<String, String> properties = new HashMap<>();
    environment.forEach(
        (key, value) -> {
          if (key.startsWith("OTEL_") && value != null) {
            properties.put(key.toLowerCase(Locale.ROOT).replace('_', '.'), value);
          }
        });
    return properties;
  }
}
