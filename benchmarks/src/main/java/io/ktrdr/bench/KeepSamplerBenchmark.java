package io.ktrdr.bench;

import com.sun.net.httpserver.HttpServer;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.util.HashMap;
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
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of the sampling set-up that keeps error and slow traces ({@code KTRDR_TRACES_KEEP_*}),
 * per trace: a server span started and ended through the SDK the library builds, alone ({@code
 * root}) or with two child spans ({@code root+2}). {@code always_on} samples and exports every
 * trace (OTLP to an in-process sink); {@code ratio} is {@code parentbased_traceidratio} at 1 %;
 * {@code ratio+keep} adds {@code KTRDR_TRACES_KEEP_ERRORS=true} and {@code
 * KTRDR_TRACES_KEEP_SLOWER_THAN=500ms}, so the other 99 % are recorded, wait for the decision and
 * are dropped. Run with {@code -prof gc} for the allocation per trace.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class KeepSamplerBenchmark {
  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
  private static final AttributeKey<Long> STATUS =
      AttributeKey.longKey("http.response.status_code");

  @Param({"always_on", "ratio", "ratio+keep"})
  public String sampler;

  @Param({"root", "root+2"})
  public String shape;

  private KtrdrTelemetry kit;
  private HttpServer sink;
  private Tracer tracer;
  private boolean children;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    sink = OtlpSink.start(0);
    Map<String, String> env = new HashMap<>();
    env.put("OTEL_BSP_SCHEDULE_DELAY", "200");
    if (sampler.equals("always_on")) {
      env.put("OTEL_TRACES_SAMPLER", "always_on");
    } else {
      env.put("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
      env.put("OTEL_TRACES_SAMPLER_ARG", "0.01");
    }
    if (sampler.equals("ratio+keep")) {
      env.put("KTRDR_TRACES_KEEP_ERRORS", "true");
      env.put("KTRDR_TRACES_KEEP_SLOWER_THAN", "500ms");
    }
    kit =
        KtrdrTelemetry.builder()
            .serviceName("bench")
            .otlpEndpoint("http://127.0.0.1:" + sink.getAddress().getPort())
            .jvmMetrics(false)
            .shutdownHook(false)
            .environment(env)
            .build();
    tracer = kit.openTelemetry().getTracer("bench");
    children = shape.equals("root+2");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    kit.close();
    sink.stop(0);
  }

  @Benchmark
  public Span trace() {
    Span root =
        tracer
            .spanBuilder("GET /api/v1/data/{symbol}/{timeframe}")
            .setSpanKind(SpanKind.SERVER)
            .setAttribute(METHOD, "GET")
            .setAttribute(ROUTE, "/api/v1/data/{symbol}/{timeframe}")
            .startSpan();
    if (children) {
      try (Scope ignored = root.makeCurrent()) {
        tracer.spanBuilder("SELECT candles").startSpan().end();
        tracer.spanBuilder("GET").setSpanKind(SpanKind.CLIENT).startSpan().end();
      }
    }
    root.setAttribute(STATUS, 200L);
    root.end();
    return root;
  }
}
