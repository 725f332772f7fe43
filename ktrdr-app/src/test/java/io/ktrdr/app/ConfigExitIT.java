package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.AppProcess;
import io.ktrdr.app.testing.Repo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every configuration key, given an invalid value, stops the packaged app with status 2. */
class ConfigExitIT {

  static Stream<Arguments> invalidKeys() {
    return Stream.of(
        Arguments.of("KTRDR_ROLE", "database", "KTRDR_ROLE=database: expected one of api, worker"),
        Arguments.of(
            "KTRDR_HOST",
            "http://x",
            "KTRDR_HOST=http://x: expected a host name or IP address (no scheme, port or path)"),
        Arguments.of("KTRDR_PORT", "abc", "KTRDR_PORT=abc: expected a port number 0-65535"),
        Arguments.of(
            "KTRDR_DATABASE_URL",
            "h2:mem",
            "KTRDR_DATABASE_URL=h2:mem: expected a JDBC URL starting with jdbc:"),
        Arguments.of(
            "KTRDR_WORKER_TYPE",
            "gpu",
            "KTRDR_WORKER_TYPE=gpu: expected one of backtesting, training"),
        Arguments.of(
            "KTRDR_WORKER_ID",
            "a b",
            "KTRDR_WORKER_ID=a b: expected 1-64 letters, digits, '.', '_' or '-'"),
        Arguments.of(
            "KTRDR_API_URL",
            "localhost",
            "KTRDR_API_URL=localhost: expected an http:// or https:// URL without user info, query"
                + " or fragment"),
        Arguments.of(
            "KTRDR_WORKER_URL",
            "ftp://x",
            "KTRDR_WORKER_URL=ftp://x: expected an http:// or https:// URL without user info, query"
                + " or fragment"),
        Arguments.of(
            "KTRDR_CLUSTER_SECRET",
            "short-secret",
            "KTRDR_CLUSTER_SECRET=<hidden>: expected at least 32 characters, got 12"),
        Arguments.of(
            "KTRDR_API_TOKEN",
            "tiny-token",
            "KTRDR_API_TOKEN=<hidden>: expected at least 16 characters"),
        Arguments.of(
            "KTRDR_WORKER_ALLOWED_HOSTS",
            "10.0.0.0/99",
            "KTRDR_WORKER_ALLOWED_HOSTS=10.0.0.0/99: expected a comma-separated list of host names, IP"
                + " addresses or CIDR networks (bad prefix length: 10.0.0.0/99)"),
        Arguments.of(
            "KTRDR_ALLOWED_ORIGINS",
            "evil.example",
            "KTRDR_ALLOWED_ORIGINS=evil.example: expected a comma-separated list of origins"
                + " (scheme://host[:port])"),
        Arguments.of(
            "KTRDR_WORKER_REQUEST_TIMEOUT_MS",
            "0",
            "KTRDR_WORKER_REQUEST_TIMEOUT_MS=0: expected milliseconds 100-60000"),
        Arguments.of(
            "KTRDR_HTTP_IDLE_TIMEOUT_MS",
            "1",
            "KTRDR_HTTP_IDLE_TIMEOUT_MS=1: expected milliseconds 1000-600000"),
        Arguments.of(
            "KTRDR_OPERATION_RECONCILE_MS",
            "soon",
            "KTRDR_OPERATION_RECONCILE_MS=soon: expected milliseconds 500-3600000"),
        Arguments.of(
            "KTRDR_OPERATIONS_MAX", "1", "KTRDR_OPERATIONS_MAX=1: expected a count 10-10000000"),
        Arguments.of(
            "KTRDR_DATABASE_URL",
            "postgresql://u:hunter2@db/x",
            "KTRDR_DATABASE_URL=postgresql://u:***@db/x: expected a JDBC URL starting with jdbc:"),
        Arguments.of(
            "KTRDR_DATABASE_CONNECT_TIMEOUT_MS",
            "100",
            "KTRDR_DATABASE_CONNECT_TIMEOUT_MS=100: expected milliseconds 250-30000"),
        Arguments.of(
            "KTRDR_DATABASE_PROBE_INTERVAL_MS",
            "often",
            "KTRDR_DATABASE_PROBE_INTERVAL_MS=often: expected milliseconds 100-60000"),
        Arguments.of(
            "KTRDR_WORKER_HEALTH_INTERVAL_MS",
            "0",
            "KTRDR_WORKER_HEALTH_INTERVAL_MS=0: expected milliseconds 50-600000"),
        Arguments.of(
            "KTRDR_WORKER_FAILURES_UNAVAILABLE",
            "-1",
            "KTRDR_WORKER_FAILURES_UNAVAILABLE=-1: expected a count 1-100"),
        Arguments.of(
            "KTRDR_WORKER_FAILURES_FORGET",
            "many",
            "KTRDR_WORKER_FAILURES_FORGET=many: expected a count 1-10000"),
        Arguments.of(
            "KTRDR_SIMULATION_STEP_DELAY_MS",
            "fast",
            "KTRDR_SIMULATION_STEP_DELAY_MS=fast: expected milliseconds 0-10000"),
        Arguments.of(
            "KTRDR_JVM_METRICS_ENABLED",
            "yes",
            "KTRDR_JVM_METRICS_ENABLED=yes: expected true or false"),
        Arguments.of(
            "KTRDR_TRACING_ENABLED", "1", "KTRDR_TRACING_ENABLED=1: expected true or false"),
        Arguments.of(
            "KTRDR_LOGS_OTLP_ENABLED", "on", "KTRDR_LOGS_OTLP_ENABLED=on: expected true or false"),
        Arguments.of("KTRDR_LOG_FORMAT", "xml", "KTRDR_LOG_FORMAT=xml: expected one of json, text"),
        Arguments.of(
            "KTRDR_METRICS_PORT",
            "99999",
            "KTRDR_METRICS_PORT=99999: expected a port number 0-65535"),
        Arguments.of(
            "KTRDR_METRICS_HOST",
            "a/b",
            "KTRDR_METRICS_HOST=a/b: expected a host name or IP address (no scheme, port or path)"),
        Arguments.of(
            "KTRDR_METRICS_USERNAME",
            "prometheus",
            "KTRDR_METRICS_PASSWORD is not set: expected it together with KTRDR_METRICS_USERNAME (basic auth)"),
        Arguments.of(
            "KTRDR_METRICS_BEARER_TOKEN",
            " padded ",
            "KTRDR_METRICS_BEARER_TOKEN=<hidden>: expected a value without leading or trailing white space"),
        Arguments.of(
            "KTRDR_METRICS_BEARER_TOKEN_FILE",
            "/nonexistent/token",
            "KTRDR_METRICS_BEARER_TOKEN_FILE=/nonexistent/token: expected a readable file (NoSuchFileException)"),
        Arguments.of(
            "OTEL_JAVA_METRICS_CARDINALITY_LIMIT",
            "lots",
            "otel.java.metrics.cardinality.limit=lots"));
  }

  @ParameterizedTest
  @MethodSource("invalidKeys")
  void theAppExitsWithStatus2NamingTheKey(String key, String value, String message)
      throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                Repo.path("ktrdr-app/target/ktrdr-app.jar").toString())
            .redirectErrorStream(true);
    if (!key.startsWith("KTRDR_CLUSTER_SECRET")) {
      builder.environment().putAll(AppProcess.withSecret(java.util.Map.of()));
    }
    builder.environment().put(key, value);
    builder.environment().put("KTRDR_PORT".equals(key) ? "KTRDR_UNUSED" : "KTRDR_PORT", "0");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

    assertThat(process.exitValue()).as(output).isEqualTo(2);
    assertThat(output).contains("ktrdr-app: invalid configuration: ").contains(message);
    if (key.contains("TOKEN") || key.contains("PASSWORD")) {
      assertThat(output).doesNotContain("padded");
    }
    assertThat(output)
        .doesNotContain("hunter2")
        .doesNotContain("short-secret")
        .doesNotContain("tiny-token");
  }

  /** The body of {@code url}'s answer, or null while nothing answers 200 there. */
  private static String body(String url) {
    try {
      java.net.http.HttpResponse<String> response =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                      .timeout(java.time.Duration.ofSeconds(5))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : null;
    } catch (java.io.IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /**
   * What the OpenTelemetry Operator injects into a pod it instruments: the app starts (these keys
   * once stopped it), names the keys it ignores once, and its resource carries the Kubernetes
   * attributes the Operator composed into {@code OTEL_RESOURCE_ATTRIBUTES}.
   */
  @Test
  void theOperatorsInjectedKeysStartTheApp(@TempDir Path directory) throws Exception {
    int port = io.ktrdr.app.testing.PrometheusProcess.freePort();
    java.util.Map<String, String> env = new java.util.HashMap<>();
    env.put("KTRDR_PORT", Integer.toString(port));
    env.put("OTEL_RESOURCE_ATTRIBUTES_POD_NAME", "pod-1");
    env.put("OTEL_RESOURCE_ATTRIBUTES_NODE_NAME", "node-1");
    env.put("OTEL_NODE_IP", "10.0.0.7");
    env.put("OTEL_POD_IP", "10.1.2.3");
    env.put(
        "OTEL_RESOURCE_ATTRIBUTES",
        "k8s.pod.name=pod-1,k8s.node.name=node-1,k8s.namespace.name=trading");
    try (AppProcess api = AppProcess.start("operator-api", env, directory)) {
      String base = "http://127.0.0.1:" + port;
      io.ktrdr.telemetry.testing.Await.until(
          "the API answers /api/v1/health (log: " + directory + ")",
          java.time.Duration.ofSeconds(60),
          () -> !api.isAlive() || body(base + "/api/v1/health") != null);
      assertThat(api.isAlive()).as(api.log()).isTrue();
      assertThat(body(base + "/metrics"))
          .containsPattern("target_info\\{[^}]*k8s_pod_name=\"pod-1\"")
          .containsPattern("target_info\\{[^}]*k8s_node_name=\"node-1\"");
      assertThat(api.log())
          .contains(
              "OTEL_* variables not read by ktrdr-telemetry, ignored: OTEL_NODE_IP, OTEL_POD_IP,"
                  + " OTEL_RESOURCE_ATTRIBUTES_NODE_NAME, OTEL_RESOURCE_ATTRIBUTES_POD_NAME");
    }
  }
}
