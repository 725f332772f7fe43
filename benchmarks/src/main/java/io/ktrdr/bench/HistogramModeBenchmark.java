package io.ktrdr.bench;

import io.ktrdr.telemetry.HistogramMode;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import java.io.IOException;
import java.util.List;
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
 * Each histogram mode on the same traffic ({@link HistogramModeTraffic}, 2,000 label sets): the
 * cost of one recorded request, and of one scrape in the text and protobuf formats. Run with {@code
 * -prof gc} for the allocation per record.
 */
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class HistogramModeBenchmark {
  static final String PROTOBUF =
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

  @Param({"classic", "native", "both"})
  public String mode;

  private KtrdrTelemetry telemetry;
  private DoubleHistogram histogram;
  private Attributes[] sets;
  private double[] latencies;
  private int next;

  @Setup(Level.Trial)
  public void setUp() {
    telemetry = HistogramModeTraffic.telemetry(HistogramMode.valueOf(mode.toUpperCase()));
    histogram = HistogramModeTraffic.histogram(telemetry);
    HistogramModeTraffic.drive(histogram);
    List<Attributes> all = HistogramModeTraffic.labelSets();
    sets = all.subList(0, 64).toArray(Attributes[]::new);
    latencies = new double[1024];
    java.util.Random random = new java.util.Random(99);
    for (int i = 0; i < latencies.length; i++) {
      latencies[i] = 0.040 * Math.exp(random.nextGaussian());
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    telemetry.close();
  }

  /** One request's duration recorded into an existing series. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public void record() {
    int i = next++;
    histogram.record(latencies[i & 1023], sets[i & 63]);
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public long scrapeText() throws IOException {
    return scrape(Map.of());
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public long scrapeProtobuf() throws IOException {
    return scrape(Map.of("Accept", PROTOBUF));
  }

  private long scrape(Map<String, String> headers) throws IOException {
    NullExchange exchange = new NullExchange(headers, false);
    telemetry.metricsHandler().handle(exchange);
    if (exchange.bytes == 0) {
      throw new IllegalStateException("empty scrape");
    }
    return exchange.bytes;
  }
}
