package io.ktrdr.app;

import static io.ktrdr.app.testing.Cluster.json;
import static io.ktrdr.app.testing.Cluster.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.AppProcess;
import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.telemetry.testing.Await;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The packaged API is an edge service, as users copy it: started as a real process with its own
 * defaults and {@code parentbased_traceidratio} at 0.01, exporting over OTLP to a receiver on
 * loopback, with a worker. A caller's {@code traceparent} never becomes an operation's {@code
 * trace_id}, and 2,000 requests flagged sampled export about 1 % of their traces, not all.
 */
class EdgeApiIT {
  private static final String CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final int REQUESTS = 2000;

  @Test
  void callersNeitherSteerSamplingNorGiveTheApiTheirTraceId() throws Exception {
    Path directory = Files.createTempDirectory("ktrdr-edge-");
    int apiPort = PrometheusProcess.freePort();
    int workerPort = PrometheusProcess.freePort();
    String apiUrl = "http://127.0.0.1:" + apiPort;
    String baggage =
        String.join(
            ",",
            java.util.stream.IntStream.range(0, 60)
                .mapToObj(i -> "k" + i + "=" + "v".repeat(30))
                .toList());
    String traceState = "vendor=" + "t".repeat(200);
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      Map<String, String> telemetry =
          Map.of(
              "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(),
              "OTEL_BSP_SCHEDULE_DELAY", "100",
              "OTEL_TRACES_SAMPLER", "parentbased_traceidratio",
              "OTEL_TRACES_SAMPLER_ARG", "0.01");
      List<ReceivedSpan> apiHealthSpans;
      try (AppProcess api = startApi(telemetry, apiPort, "edge", directory);
          AppProcess worker =
              startWorker(telemetry, workerPort, apiUrl, "edge-worker-1", directory)) {
        awaitCluster(apiUrl);

        // An operation started by a caller that names its own trace.
        String traceId =
            completedBacktest(
                    apiUrl,
                    "traceparent",
                    "00-" + CALLER_TRACE + "-00f067aa0ba902b7-01",
                    "baggage",
                    baggage,
                    "tracestate",
                    traceState)
                .get("trace_id")
                .asString();
        assertThat(traceId).matches("[0-9a-f]{32}").isNotEqualTo(CALLER_TRACE);

        // Every request flagged sampled by its caller, each with its own trace id.
        SplittableRandom random = new SplittableRandom(29);
        for (int n = 0; n < REQUESTS; n++) {
          String traceparent =
              String.format("00-%016x%016x-00f067aa0ba902b7-01", random.nextLong(), n + 1L);
          HttpResponse<String> response =
              send(
                  "GET",
                  apiUrl + "/api/v1/health",
                  null,
                  "traceparent",
                  traceparent,
                  "baggage",
                  baggage);
          assertThat(response.statusCode()).isEqualTo(200);
        }
        // SIGTERM: the API flushes its spans before it exits.
        api.close();
        assertThat(api.waitFor(Duration.ofSeconds(15))).as("the API exited").isNotEqualTo(-1);
        apiHealthSpans = new ArrayList<>();
        for (ReceivedSpan span : receiver.spans()) {
          if (span.name().equals("GET /api/v1/health")
              && "ktrdr-api".equals(span.resource().get("service.name"))) {
            apiHealthSpans.add(span);
          }
        }
        System.out.println(
            "EdgeApiIT: "
                + apiHealthSpans.size()
                + " of "
                + REQUESTS
                + " flagged requests exported");
        assertThat(api.log())
            .contains("Inbound trace context: new_root")
            .contains("parentbased_keyed_traceidratio");
      }
      // Binomial(2000, 0.01): mean 20; 60 is nine standard deviations above.
      assertThat(apiHealthSpans).hasSizeLessThanOrEqualTo(60);
    }
  }

  @Test
  void anOperationIsOneTraceOfTheApisOwnLinkedToTheCaller() throws Exception {
    Path directory = Files.createTempDirectory("ktrdr-edge-trace-");
    int apiPort = PrometheusProcess.freePort();
    int workerPort = PrometheusProcess.freePort();
    String apiUrl = "http://127.0.0.1:" + apiPort;
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      // Every trace sampled: the whole operation is exported.
      Map<String, String> telemetry =
          Map.of(
              "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(), "OTEL_BSP_SCHEDULE_DELAY", "100");
      try (AppProcess api = startApi(telemetry, apiPort, "edge-trace", directory);
          AppProcess worker =
              startWorker(telemetry, workerPort, apiUrl, "edge-worker-2", directory)) {
        awaitCluster(apiUrl);
        String traceId =
            completedBacktest(
                    apiUrl,
                    "traceparent",
                    "00-" + CALLER_TRACE + "-00f067aa0ba902b7-01",
                    "baggage",
                    "user=mallory")
                .get("trace_id")
                .asString();
        assertThat(traceId).isNotEqualTo(CALLER_TRACE);
        // The API's request, the worker's, and the worker's call back to the API's data route
        // (trusted: it carries the cluster secret) are one trace, the API's.
        for (String name :
            List.of(
                "POST /api/v1/backtests/start",
                "POST /backtests/start",
                "GET /api/v1/data/{symbol}/{timeframe}")) {
          receiver.awaitSpans(
              span -> span.traceId().equals(traceId) && span.name().equals(name),
              1,
              Duration.ofSeconds(15));
        }
        ReceivedSpan apiStart =
            receiver
                .awaitSpans(
                    span -> span.name().equals("POST /api/v1/backtests/start"),
                    1,
                    Duration.ofSeconds(15))
                .get(0);
        assertThat(apiStart.parentSpanId()).isEmpty();
        assertThat(apiStart.span().getLinksList()).hasSize(1);
        assertThat(
                java.util.HexFormat.of()
                    .formatHex(apiStart.span().getLinksList().get(0).getTraceId().toByteArray()))
            .isEqualTo(CALLER_TRACE);
        assertThat(receiver.spans())
            .noneSatisfy(span -> assertThat(span.traceId()).isEqualTo(CALLER_TRACE));
      }
    }
  }

  /** Starts a backtest with the caller's {@code headers} and waits for it: its final JSON. */
  private static JsonNode completedBacktest(String apiUrl, String... headers) {
    HttpResponse<String> started =
        send(
            "POST",
            apiUrl + "/api/v1/backtests/start",
            "{\"symbol\":\"AAPL\",\"timeframe\":\"1d\"}",
            headers);
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    String id = json(started).get("operation_id").asString();
    JsonNode[] done = new JsonNode[1];
    Await.until(
        "the operation to complete",
        Duration.ofSeconds(30),
        () -> {
          done[0] = json(send("GET", apiUrl + "/api/v1/operations/" + id, null));
          return done[0].get("status").asString().equals("completed");
        });
    return done[0];
  }

  private static AppProcess startApi(
      Map<String, String> telemetry, int port, String database, Path directory) {
    Map<String, String> env = new HashMap<>(telemetry);
    env.put("KTRDR_PORT", Integer.toString(port));
    env.put("KTRDR_DATABASE_URL", "jdbc:h2:mem:" + database + ";DB_CLOSE_DELAY=-1");
    env.put("KTRDR_WORKER_HEALTH_INTERVAL_MS", "200");
    return AppProcess.start("api", env, directory);
  }

  private static AppProcess startWorker(
      Map<String, String> telemetry, int port, String apiUrl, String id, Path directory) {
    Map<String, String> env = new HashMap<>(telemetry);
    env.put("KTRDR_ROLE", "worker");
    env.put("KTRDR_PORT", Integer.toString(port));
    env.put("KTRDR_WORKER_ID", id);
    env.put("KTRDR_API_URL", apiUrl);
    env.put("KTRDR_WORKER_HEARTBEAT_MS", "200");
    return AppProcess.start("worker", env, directory);
  }

  private static void awaitCluster(String apiUrl) {
    Await.until(
        "API ready and the worker registered",
        Duration.ofSeconds(40),
        () -> {
          try {
            return send("GET", apiUrl + "/api/v1/health/ready", null).statusCode() == 200
                && json(send("GET", apiUrl + "/api/v1/workers", null)).get("workers").size() == 1;
          } catch (RuntimeException notYet) {
            return false;
          }
        });
  }
}
