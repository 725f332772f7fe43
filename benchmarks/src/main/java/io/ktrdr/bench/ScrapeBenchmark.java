package io.ktrdr.bench;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.internal.HttpServerMetrics;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.common.PrometheusScrapeHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One {@code /metrics} scrape (text format) of N histogram series: ktrdr-telemetry's
 * metricsHandler() over the OpenTelemetry SDK, next to client_java's own registry holding the same
 * series (same name, labels and 14 buckets), served by the same client_java scrape handler.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class ScrapeBenchmark {
  @Param({"100", "2000", "10000"})
  public int series;

  @Param({"ktrdr", "client_java"})
  public String registry;

  private KtrdrTelemetry telemetry;
  private Runnable scrape;

  @Setup(Level.Trial)
  public void setUp() {
    if (registry.equals("ktrdr")) {
      telemetry =
          KtrdrTelemetry.builder()
              .serviceName("bench")
              .jvmMetrics(false)
              .tracing(false)
              .shutdownHook(false)
              .environment(Map.of("OTEL_JAVA_METRICS_CARDINALITY_LIMIT", "20000"))
              .build();
      HttpServerMetrics metrics = HttpServerMetrics.create(telemetry.openTelemetry());
      int get = HttpServerMetrics.methodIndex("GET");
      for (int i = 0; i < series; i++) {
        metrics.requestStarted(get, false);
        metrics.requestFinished(get, false, "/route/" + i, 200, null, 3_000_000L + i);
      }
      scrape = () -> handle(telemetry.metricsHandler()::handle);
    } else {
      PrometheusRegistry prometheus = new PrometheusRegistry();
      Histogram histogram =
          Histogram.builder()
              .name("http_server_request_duration_seconds")
              .help("Duration of HTTP server requests.")
              .labelNames(
                  "http_request_method", "http_response_status_code", "http_route", "url_scheme")
              .classicOnly()
              .classicUpperBounds(
                  HttpServerMetrics.DURATION_BUCKETS.stream()
                      .mapToDouble(Double::doubleValue)
                      .toArray())
              .register(prometheus);
      for (int i = 0; i < series; i++) {
        histogram.labelValues("GET", "200", "/route/" + i, "http").observe(0.003 + i * 1e-9);
      }
      PrometheusScrapeHandler handler = new PrometheusScrapeHandler(prometheus);
      scrape = () -> handle(handler::handleRequest);
    }
  }

  private interface Handler {
    void handle(NullExchange exchange) throws IOException;
  }

  private static void handle(Handler handler) {
    NullExchange exchange = new NullExchange();
    try {
      handler.handle(exchange);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    if (exchange.bytes == 0) {
      throw new IllegalStateException("empty scrape");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (telemetry != null) {
      telemetry.close();
    }
  }

  @Benchmark
  public void scrape() {
    scrape.run();
  }
}
