package io.ktrdr.bench;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.http.HttpServerMetrics;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerRoute;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerRouteSource;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanNameExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanStatusExtractor;
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
 * The telemetry's cost per HTTP request, as the Javalin plugin pays it: active-requests up and down
 * plus the duration histogram (metrics), and a server span started from the request's headers,
 * named by route, ended with the status (tracing). Run with {@code -prof gc} for the allocation per
 * request.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class HttpRecordingBenchmark {
  private static final String ROUTE = "/api/v1/data/{symbol}/{timeframe}";
  private static final int GET = HttpServerMetrics.methodIndex("GET");
  private static final BenchRequest REQUEST =
      new BenchRequest("GET", "/api/v1/data/AAPL/1d", "start=2024-01-01", null);

  /** metrics: no spans; untraced: spans not sampled; traced: every span sampled and recorded. */
  @Param({"metrics", "untraced", "traced"})
  public String mode;

  private KtrdrTelemetry telemetry;
  private HttpServerMetrics metrics;
  private Instrumenter<BenchRequest, Integer> tracing;

  @Setup(Level.Trial)
  public void setUp() {
    String sampler = mode.equals("traced") ? "always_on" : "always_off";
    telemetry =
        KtrdrTelemetry.builder()
            .serviceName("bench")
            .tracing(!mode.equals("metrics"))
            .jvmMetrics(false)
            .shutdownHook(false)
            .environment(Map.of("OTEL_TRACES_SAMPLER", sampler))
            .build();
    metrics = telemetry.httpServerMetrics();
    BenchRequest.Getter getter = BenchRequest.Getter.INSTANCE;
    tracing =
        Instrumenter.<BenchRequest, Integer>builder(
                telemetry.openTelemetry(), "bench", HttpSpanNameExtractor.create(getter))
            .setSpanStatusExtractor(HttpSpanStatusExtractor.create(getter))
            .addAttributesExtractor(HttpServerAttributesExtractor.create(getter))
            .addContextCustomizer(HttpServerRoute.create(getter))
            .buildServerInstrumenter(getter);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    telemetry.close();
  }

  @Benchmark
  public void request() {
    metrics.requestStarted(GET, false);
    if (mode.equals("metrics")) {
      metrics.requestFinished(GET, false, ROUTE, 200, null, 1_234_567L);
      return;
    }
    Context parent = Context.root();
    Context context = tracing.start(parent, REQUEST);
    try (io.opentelemetry.context.Scope ignored = context.makeCurrent()) {
      HttpServerRoute.update(context, HttpServerRouteSource.CONTROLLER, ROUTE);
      metrics.requestFinished(GET, false, ROUTE, 200, null, 1_234_567L);
    }
    tracing.end(context, REQUEST, 200, null);
  }
}
