package io.ktrdr.telemetry.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.telemetry.KtrdrTelemetry;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigErrorsTest {

  static Stream<Arguments> invalidEnvironments() {
    return Stream.of(
        Arguments.of(
            Map.of("KTRDR_METRICS_PORT", "abc"),
            "KTRDR_METRICS_PORT",
            "KTRDR_METRICS_PORT=abc: expected a port number 0-65535"),
        Arguments.of(
            Map.of("KTRDR_METRICS_PORT", "70000"),
            "KTRDR_METRICS_PORT",
            "KTRDR_METRICS_PORT=70000: expected a port number 0-65535"),
        Arguments.of(
            Map.of("KTRDR_METRICS_HOST", "http://0.0.0.0:9464"),
            "KTRDR_METRICS_HOST",
            "KTRDR_METRICS_HOST=http://0.0.0.0:9464: expected a host name or IP address"
                + " (no scheme, port or path)"),
        Arguments.of(
            Map.of("KTRDR_JVM_METRICS_ENABLED", "yes"),
            "KTRDR_JVM_METRICS_ENABLED",
            "KTRDR_JVM_METRICS_ENABLED=yes: expected true or false"),
        Arguments.of(
            Map.of("KTRDR_METRICS_SCOPE_LABELS_ENABLED", "off"),
            "KTRDR_METRICS_SCOPE_LABELS_ENABLED",
            "KTRDR_METRICS_SCOPE_LABELS_ENABLED=off: expected true or false"),
        Arguments.of(
            Map.of("KTRDR_METRICS_USERNAME", "prometheus"),
            "KTRDR_METRICS_PASSWORD",
            "KTRDR_METRICS_PASSWORD is not set: expected it together with KTRDR_METRICS_USERNAME"
                + " (basic auth)"),
        Arguments.of(
            Map.of("KTRDR_METRICS_PASSWORD", "s3cret"),
            "KTRDR_METRICS_USERNAME",
            "KTRDR_METRICS_USERNAME is not set: expected it together with KTRDR_METRICS_PASSWORD"
                + " (basic auth)"),
        Arguments.of(
            Map.of(
                "KTRDR_METRICS_USERNAME", "prometheus",
                "KTRDR_METRICS_PASSWORD", "s3cret",
                "KTRDR_METRICS_BEARER_TOKEN", "tok"),
            "KTRDR_METRICS_BEARER_TOKEN",
            "KTRDR_METRICS_BEARER_TOKEN is set together with"
                + " KTRDR_METRICS_USERNAME/KTRDR_METRICS_PASSWORD: expected one authentication"
                + " method, a bearer token or basic auth"),
        Arguments.of(
            Map.of("KTRDR_METRICS_BEARER_TOKEN", " tok "),
            "KTRDR_METRICS_BEARER_TOKEN",
            "KTRDR_METRICS_BEARER_TOKEN=<hidden>: expected a value without leading or trailing"
                + " white space"),
        Arguments.of(
            Map.of("OTEL_EXPORTER_PROMETHEUS_PORT", "9465", "KTRDR_METRICS_PORT", "9464"),
            "OTEL_EXPORTER_PROMETHEUS_PORT",
            "OTEL_EXPORTER_PROMETHEUS_PORT=9465 differs from KTRDR_METRICS_PORT=9464: expected one"
                + " of them, or the same value"),
        Arguments.of(
            Map.of("OTEL_EXPORTER_PROMETHEUS_HOST", "http://x"),
            "OTEL_EXPORTER_PROMETHEUS_HOST",
            "OTEL_EXPORTER_PROMETHEUS_HOST=http://x: expected a host name or IP address"
                + " (no scheme, port or path)"),
        Arguments.of(
            Map.of("KTRDR_METRICS_USERNAME", "a:b", "KTRDR_METRICS_PASSWORD", "p"),
            "KTRDR_METRICS_USERNAME",
            "KTRDR_METRICS_USERNAME=a:b: expected a user name without ':'"),
        Arguments.of(
            Map.of("KTRDR_TRACES_KEEP_ERRORS", "yes"),
            "KTRDR_TRACES_KEEP_ERRORS",
            "KTRDR_TRACES_KEEP_ERRORS=yes: expected true or false"),
        Arguments.of(
            Map.of("KTRDR_TRACES_KEEP_SLOWER_THAN", "half a second"),
            "KTRDR_TRACES_KEEP_SLOWER_THAN",
            "KTRDR_TRACES_KEEP_SLOWER_THAN=half a second: expected a positive duration such as"
                + " 500ms, 2s or 1m"),
        Arguments.of(
            Map.of("KTRDR_TRACES_KEEP_SLOWER_THAN", "0ms"),
            "KTRDR_TRACES_KEEP_SLOWER_THAN",
            "KTRDR_TRACES_KEEP_SLOWER_THAN=0ms: expected a positive duration such as 500ms, 2s"
                + " or 1m"),
        Arguments.of(
            Map.of("KTRDR_TRACES_BUFFER_MAX_SPANS", "0"),
            "KTRDR_TRACES_BUFFER_MAX_SPANS",
            "KTRDR_TRACES_BUFFER_MAX_SPANS=0: expected an integer 1-1000000"),
        Arguments.of(
            Map.of("KTRDR_TRACES_INBOUND", "distrust"),
            "KTRDR_TRACES_INBOUND",
            "KTRDR_TRACES_INBOUND=distrust: expected one of trust, ignore_sampled, new_root"),
        Arguments.of(
            Map.of("KTRDR_TRACES_INBOUND_BAGGAGE_KEYS", "tenant, user id"),
            "KTRDR_TRACES_INBOUND_BAGGAGE_KEYS",
            "KTRDR_TRACES_INBOUND_BAGGAGE_KEYS=tenant, user id: expected a comma-separated list"
                + " of baggage keys (W3C tokens), or *"),
        Arguments.of(
            Map.of("KTRDR_TRACES_INBOUND_BAGGAGE_MAX_ENTRIES", "200"),
            "KTRDR_TRACES_INBOUND_BAGGAGE_MAX_ENTRIES",
            "KTRDR_TRACES_INBOUND_BAGGAGE_MAX_ENTRIES=200: expected an integer 0-180"),
        Arguments.of(
            Map.of("KTRDR_TRACES_INBOUND_BAGGAGE_MAX_BYTES", "8k"),
            "KTRDR_TRACES_INBOUND_BAGGAGE_MAX_BYTES",
            "KTRDR_TRACES_INBOUND_BAGGAGE_MAX_BYTES=8k: expected an integer 0-8192"),
        Arguments.of(
            Map.of("KTRDR_TRACES_INBOUND_TRACESTATE_MAX_ENTRIES", "33"),
            "KTRDR_TRACES_INBOUND_TRACESTATE_MAX_ENTRIES",
            "KTRDR_TRACES_INBOUND_TRACESTATE_MAX_ENTRIES=33: expected an integer 0-32"),
        Arguments.of(
            Map.of("KTRDR_TRACES_INBOUND_TRACESTATE_MAX_CHARS", "-1"),
            "KTRDR_TRACES_INBOUND_TRACESTATE_MAX_CHARS",
            "KTRDR_TRACES_INBOUND_TRACESTATE_MAX_CHARS=-1: expected an integer 0-512"),
        Arguments.of(
            Map.of(
                "OTEL_TRACES_SAMPLER", "ktrdr_rules",
                "KTRDR_TRACES_SAMPLER_DROP_PATHS", "/health,ready"),
            "KTRDR_TRACES_SAMPLER_DROP_PATHS",
            "KTRDR_TRACES_SAMPLER_DROP_PATHS=/health,ready: expected comma-separated paths"
                + " starting with / (a trailing * matches a prefix), e.g. /health,/ready"),
        Arguments.of(
            Map.of("OTEL_TRACES_SAMPLER", "ktrdr_rules"),
            "KTRDR_TRACES_SAMPLER_DROP_PATHS",
            "KTRDR_TRACES_SAMPLER_DROP_PATHS is not set: expected the paths to drop (e.g."
                + " /health,/ready) with OTEL_TRACES_SAMPLER=ktrdr_rules"),
        Arguments.of(
            Map.of("KTRDR_TRACES_SAMPLER_DROP_PATHS", "/health"),
            "KTRDR_TRACES_SAMPLER_DROP_PATHS",
            "KTRDR_TRACES_SAMPLER_DROP_PATHS is set but OTEL_TRACES_SAMPLER=parentbased_always_on"
                + " does not read it: expected OTEL_TRACES_SAMPLER=ktrdr_rules"),
        Arguments.of(
            Map.of("OTEL_CONFIG_FILE", "/etc/otel/sdk.yaml"),
            "OTEL_CONFIG_FILE",
            "OTEL_CONFIG_FILE is set: expected it unset (ktrdr-telemetry configures the SDK from"
                + " OTEL_* and KTRDR_* variables; OpenTelemetry's declarative configuration file is"
                + " not supported)"));
  }

  @ParameterizedTest
  @MethodSource("invalidEnvironments")
  void invalidValuesFailStartUpNamingKeyValueAndExpectation(
      Map<String, String> env, String key, String message) {
    assertThatThrownBy(() -> KtrdrTelemetry.builder().environment(env).shutdownHook(false).build())
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> org.assertj.core.api.Assertions.assertThat(e.key()).isEqualTo(key))
        .hasMessage(message);
  }

  @ParameterizedTest
  @MethodSource("invalidEnvironments")
  void secretsNeverAppearInMessages(Map<String, String> env, String key, String message) {
    org.assertj.core.api.Assertions.assertThat(message)
        .doesNotContain("s3cret")
        .doesNotContain(" tok ");
  }

  @org.junit.jupiter.api.Test
  void secretsCanComeFromFiles(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path token = dir.resolve("token");
    java.nio.file.Files.writeString(token, "s3cret-token\n");

    try (KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .environment(Map.of("KTRDR_METRICS_BEARER_TOKEN_FILE", token.toString()))
            .shutdownHook(false)
            .build()) {
      org.assertj.core.api.Assertions.assertThat(
              telemetry.metricsHandler().auth().isAuthorized("Bearer s3cret-token"))
          .isTrue();
    }
    String missing = dir.resolve("missing").toString();
    assertThatThrownBy(
            () ->
                KtrdrTelemetry.builder()
                    .environment(
                        Map.of(
                            "KTRDR_METRICS_PASSWORD_FILE", missing, "KTRDR_METRICS_USERNAME", "p"))
                    .shutdownHook(false)
                    .build())
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "KTRDR_METRICS_PASSWORD_FILE="
                + missing
                + ": expected a readable file (NoSuchFileException)");
    assertThatThrownBy(
            () ->
                KtrdrTelemetry.builder()
                    .environment(
                        Map.of(
                            "KTRDR_METRICS_BEARER_TOKEN",
                            "a",
                            "KTRDR_METRICS_BEARER_TOKEN_FILE",
                            token.toString()))
                    .shutdownHook(false)
                    .build())
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "KTRDR_METRICS_BEARER_TOKEN and KTRDR_METRICS_BEARER_TOKEN_FILE are both set: expected"
                + " only one of them");
  }

  @org.junit.jupiter.api.Test
  void invalidOpenTelemetryValuesFailStartUpNamingTheProperty() {
    assertThatThrownBy(
            () ->
                KtrdrTelemetry.builder()
                    .environment(Map.of("OTEL_JAVA_METRICS_CARDINALITY_LIMIT", "lots"))
                    .shutdownHook(false)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Invalid OpenTelemetry configuration (OTEL_* variables): ")
        .hasMessageContaining("otel.java.metrics.cardinality.limit=lots");
  }
}
