package io.ktrdr.app;

import static io.ktrdr.app.testing.Cluster.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.Cluster;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.ktrdr.telemetry.testing.Scrape;
import io.opentelemetry.proto.trace.v1.Span;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The API and two workers: operations run to completion, with one trace across all of them. */
class OperationsEndToEndTest {
  private static OtlpReceiver receiver;
  private static Cluster cluster;
  private static Cluster.WorkerHandle backtester;
  private static Cluster.WorkerHandle trainer;

  @BeforeAll
  static void start() {
    receiver = OtlpReceiver.start();
    cluster =
        new Cluster(
            Map.of(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                receiver.endpoint(),
                "OTEL_BSP_SCHEDULE_DELAY",
                "50"),
            Map.of());
    backtester = cluster.startWorker("backtesting-e2e", "backtesting", Duration.ZERO);
    trainer = cluster.startWorker("training-e2e", "training", Duration.ZERO);
  }

  @AfterAll
  static void stop() {
    cluster.close();
    receiver.close();
  }

  @Test
  void aBacktestRunsToCompletionWithResultsMetricsAndOneTrace() {
    HttpResponse<String> started =
        cluster.api(
            "POST",
            "/api/v1/backtests/start",
            "{\"symbol\":\"AAPL\",\"timeframe\":\"1d\",\"fast_period\":5,\"slow_period\":20}");
    assertThat(started.statusCode()).isEqualTo(202);
    String id = json(started).get("operation_id").asString();
    assertThat(json(started).get("worker_id").asString()).isEqualTo("backtesting-e2e");

    JsonNode done = cluster.awaitFinal(id);

    assertThat(done.get("status").asString()).isEqualTo("completed");
    assertThat(done.get("progress").asDouble()).isEqualTo(1.0);
    JsonNode result = done.get("result");
    assertThat(result.get("bars").asInt()).isEqualTo(520);
    assertThat(result.get("trades").asInt()).isPositive();
    assertThat(result.get("max_drawdown_pct").asDouble()).isBetween(0.0, 100.0);
    assertThat(result.get("win_rate").asDouble()).isBetween(0.0, 1.0);

    Scrape workerMetrics =
        Scrape.parse(Cluster.send("GET", backtester.url("/metrics"), null).body());
    assertThat(
            workerMetrics.value(
                "ktrdr_operations_total",
                Map.of("operation_type", "backtest", "status", "completed")))
        .isGreaterThanOrEqualTo(1);
    assertThat(
            workerMetrics.value(
                "ktrdr_operation_duration_seconds_count",
                Map.of("operation_type", "backtest", "status", "completed")))
        .isGreaterThanOrEqualTo(1);
    assertThat(workerMetrics.samples("target_info").get(0).labels())
        .containsEntry("service_name", "ktrdr-worker")
        .containsEntry("service_instance_id", "backtesting-e2e");

    // One trace: API request -> worker -> operation -> API data request -> database.
    String traceId = done.get("trace_id").asString();
    // Each service exports in its own batches: wait for every expected span of the trace.
    for (String name :
        List.of(
            "POST /api/v1/backtests/start",
            "POST /backtests/start",
            "operation.backtest",
            "data_loading",
            "GET /api/v1/data/{symbol}/{timeframe}",
            "strategy_init",
            "simulation")) {
      receiver.awaitSpans(
          s -> s.traceId().equals(traceId) && s.name().equals(name), 1, Duration.ofSeconds(10));
    }
    receiver.awaitSpans(
        s -> s.traceId().equals(traceId) && "h2".equals(s.attribute("db.system")),
        1,
        Duration.ofSeconds(10));
    List<ReceivedSpan> trace =
        receiver.spans().stream()
            .filter(s -> s.traceId().equals(traceId))
            .collect(Collectors.toList());
    Map<String, ReceivedSpan> byName =
        trace.stream().collect(Collectors.toMap(ReceivedSpan::name, s -> s, (a, b) -> a));
    ReceivedSpan apiStart = byName.get("POST /api/v1/backtests/start");
    ReceivedSpan workerStart = byName.get("POST /backtests/start");
    ReceivedSpan operation = byName.get("operation.backtest");
    ReceivedSpan apiData = byName.get("GET /api/v1/data/{symbol}/{timeframe}");
    assertThat(apiStart.resource()).containsEntry("service.name", "ktrdr-api");
    assertThat(workerStart.resource())
        .containsEntry("service.name", "ktrdr-worker")
        .containsEntry("service.instance.id", "backtesting-e2e");
    assertThat(operation.parentSpanId()).isEqualTo(workerStart.spanId());
    assertThat(operation.attributes())
        .containsEntry("operation.id", id)
        .containsEntry("operation.type", "backtest")
        .containsEntry("operation.status", "completed");
    assertThat(operation.span().getEventsList())
        .extracting(Span.Event::getName)
        .contains("progress");
    assertThat(apiData.resource()).containsEntry("service.name", "ktrdr-api");
    assertThat(
            trace.stream()
                .filter(s -> s.span().getKind() == Span.SpanKind.SPAN_KIND_CLIENT)
                .map(s -> s.attribute("db.system"))
                .filter(v -> v != null))
        .contains("h2");
  }

  @Test
  void aTrainingRunsToCompletionOnTheTrainingWorker() {
    HttpResponse<String> started =
        cluster.api("POST", "/api/v1/trainings/start", "{\"symbol\":\"MSFT\",\"epochs\":40}");
    assertThat(started.statusCode()).isEqualTo(202);
    String id = json(started).get("operation_id").asString();

    JsonNode done = cluster.awaitFinal(id);

    assertThat(done.get("status").asString()).isEqualTo("completed");
    assertThat(done.get("worker_id").asString()).isEqualTo("training-e2e");
    JsonNode result = done.get("result");
    assertThat(result.get("epochs").asInt()).isEqualTo(40);
    assertThat(result.get("samples").asInt()).isEqualTo(520 - 5 - 1);
    assertThat(result.get("test_accuracy").asDouble()).isBetween(0.0, 1.0);
    assertThat(result.get("final_loss").asDouble()).isPositive();
    Scrape workerMetrics = Scrape.parse(Cluster.send("GET", trainer.url("/metrics"), null).body());
    assertThat(
            workerMetrics.value(
                "ktrdr_operations_total",
                Map.of("operation_type", "training", "status", "completed")))
        .isGreaterThanOrEqualTo(1);
  }

  @Test
  void theApiCountsRegisteredAndAvailableWorkers() {
    Scrape api = Scrape.parse(cluster.api("GET", "/metrics", null).body());

    for (String type : new String[] {"backtesting", "training"}) {
      assertThat(api.value("ktrdr_workers_registered", Map.of("worker_type", type))).isEqualTo(1);
      assertThat(api.value("ktrdr_workers_available", Map.of("worker_type", type))).isEqualTo(1);
    }
  }

  @Test
  void aHopelessOperationIsRefusedBeforeItIsDispatched() {
    // 5 hourly bars are too few for a slow period of 30: the API says so itself (400), before
    // looking for a worker.
    HttpResponse<String> started =
        cluster.api(
            "POST",
            "/api/v1/backtests/start",
            "{\"symbol\":\"SPY\",\"timeframe\":\"1h\",\"start\":\"2024-12-31T19:00:00Z\"}");

    assertThat(started.statusCode()).isEqualTo(400);
    assertThat(json(started).get("message").asString())
        .isEqualTo("Not enough bars: 5 1h bars of SPY in the range, at least 31 needed");
  }
}
