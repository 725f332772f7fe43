package io.ktrdr.bench;

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
 * One {@code /metrics} scrape of N histogram series ({@link ScrapeTargets}): ktrdr-telemetry's
 * metricsHandler() over the OpenTelemetry SDK, next to client_java's own registry holding the same
 * series (same name, labels and 14 buckets), served by the same client_java scrape handler, in the
 * formats Prometheus asks for: OpenMetrics text, the same gzipped, and protobuf; and the SDK read
 * by opentelemetry-java's stock PrometheusMetricReader, the library's scrape path before its own
 * reader. {@link ScrapeReport} writes the figures and the body sizes into docs/performance.md. 18
 * trials, about 3 minutes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class ScrapeBenchmark {
  @Param({"100", "10000"})
  public int series;

  @Param({"text", "gzip", "protobuf"})
  public String format;

  /**
   * See {@link ScrapeTargets#create}: {@code ktrdr_noscope} is the library without the {@code
   * otel_scope_*} labels, {@code otel_stock} its scrape path before.
   */
  @Param({"ktrdr", "ktrdr_noscope", "client_java", "otel_stock"})
  public String registry;

  private ScrapeTargets.Target target;
  private Map<String, String> headers;

  @Setup(Level.Trial)
  public void setUp() {
    target = ScrapeTargets.create(registry, series);
    headers = ScrapeTargets.headers(format);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    target.close();
  }

  @Benchmark
  public long scrape() {
    return ScrapeTargets.scrape(target, headers);
  }
}
