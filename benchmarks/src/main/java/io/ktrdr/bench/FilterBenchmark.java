package io.ktrdr.bench;

import com.sun.net.httpserver.HttpServer;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.http.ServletTelemetryFilter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
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
 * The telemetry's own cost per request, without a server around it: the public {@link
 * ServletTelemetryFilter} (the one {@code KtrdrJavalinPlugin} installs, built as the plugin builds
 * it: no route resolver) around a trivial chain that names the route as Javalin's route match does
 * ({@link ServletTelemetryFilter#routeMatched}) and sets status 200, on a reused {@link
 * LightRequest} and {@link LightResponse}. Run with {@code -prof gc} for the bytes per request.
 *
 * <p>Set-ups ({@code setup}):
 *
 * <ul>
 *   <li>{@code none}: the chain alone, no filter.
 *   <li>{@code metrics}: metrics only; the request carries an unsampled {@code traceparent}, which
 *       the filter makes current.
 *   <li>{@code unsampled}: metrics and tracing, the same request: its parent is not sampled, so
 *       under the default {@code parentbased_always_on} the server span is not sampled.
 *   <li>{@code metrics-root}, {@code unsampled-root}: a request without {@code traceparent},
 *       metrics only, and tracing under {@code parentbased_traceidratio} with ratio 0 (a root span
 *       that is not sampled).
 *   <li>{@code sampled}: metrics and tracing, the parent sampled: every span is recorded and
 *       exported by the batch span processor over OTLP/HTTP to an in-process sink that discards.
 *       The export runs on the processor's thread; what is measured is the request thread's share
 *       (the load test measures the whole process).
 *   <li>{@code floor-unsampled}, {@code floor-unsampled-root}, {@code floor-sampled}: the same
 *       three requests through OpenTelemetry alone ({@link OtelFloor}: the same server span, no
 *       metrics), so that what tracing adds over metrics-only compares with what the SDK itself
 *       costs over {@code none}.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FilterBenchmark {
  static final String ROUTE = "/api/v1/data/{symbol}/{timeframe}";
  private static final String TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-";

  @Param({
    "none",
    "metrics",
    "unsampled",
    "sampled",
    "metrics-root",
    "unsampled-root",
    "floor-unsampled",
    "floor-unsampled-root",
    "floor-sampled"
  })
  public String setup;

  private HttpServer sink;
  private @Nullable KtrdrTelemetry telemetry;
  private @Nullable OpenTelemetrySdk floorSdk;
  private Filter filter;
  private LightRequest request;
  private LightResponse response;
  private FilterChain chain;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    sink = OtlpSink.start(0);
    // OTEL_* variables of the run apply (A/B of exporter and processor settings); the set-up's
    // sampler wins.
    Map<String, String> environment = new HashMap<>();
    System.getenv()
        .forEach(
            (key, value) -> {
              if (key.startsWith("OTEL_")) {
                environment.put(key, value);
              }
            });
    if (setup.endsWith("unsampled-root")) {
      environment.put("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
      environment.put("OTEL_TRACES_SAMPLER_ARG", "0");
    }
    String endpoint = "http://127.0.0.1:" + sink.getAddress().getPort();
    boolean floor = setup.startsWith("floor-");
    if (floor) {
      Map<String, String> properties = new HashMap<>();
      environment.forEach(
          (key, value) -> properties.put(key.toLowerCase(Locale.ROOT).replace('_', '.'), value));
      properties.put("otel.exporter.otlp.endpoint", endpoint);
      floorSdk = OtelFloor.sdk(properties);
      filter = OtelFloor.filter(floorSdk);
    } else {
      KtrdrTelemetry ours =
          KtrdrTelemetry.builder()
              .serviceName("bench")
              .tracing(!setup.equals("none") && !setup.startsWith("metrics"))
              .otlpEndpoint(endpoint)
              .jvmMetrics(false)
              .shutdownHook(false)
              .environment(environment)
              .build();
      telemetry = ours;
      filter = ServletTelemetryFilter.builder(ours).routeResolver(null).build();
    }
    request =
        setup.endsWith("-root")
            ? new LightRequest("Host", "127.0.0.1:8080", "User-Agent", "wrk")
            : new LightRequest(
                "Host",
                "127.0.0.1:8080",
                "User-Agent",
                "wrk",
                "traceparent",
                TRACE + (setup.endsWith("sampled") && !setup.endsWith("unsampled") ? "01" : "00"));
    response = new LightResponse();
    chain =
        floor
            ? (req, res) -> {
              OtelFloor.routeMatched((HttpServletRequest) req, ROUTE);
              ((HttpServletResponse) res).setStatus(200);
            }
            : (req, res) -> {
              ServletTelemetryFilter.routeMatched((HttpServletRequest) req, ROUTE);
              ((HttpServletResponse) res).setStatus(200);
            };
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    // How many spans the batch processor handed to the exporter or dropped (queue full): a run
    // that drops spans measures less export work than its requests made.
    if (floorSdk != null) {
      floorSdk.close();
      sink.stop(0);
      return;
    }
    KtrdrTelemetry ours = Objects.requireNonNull(telemetry);
    for (MetricSnapshot snapshot : ours.prometheusRegistry().scrape()) {
      if (snapshot
          .getMetadata()
          .getPrometheusName()
          .startsWith("otel_sdk_processor_span_processed")) {
        for (DataPointSnapshot point : snapshot.getDataPoints()) {
          System.out.println(
              "\n"
                  + snapshot.getMetadata().getPrometheusName()
                  + point.getLabels()
                  + " "
                  + ((CounterSnapshot.CounterDataPointSnapshot) point).getValue());
        }
      }
    }
    ours.close();
    sink.stop(0);
  }

  @Benchmark
  public int request() throws Exception {
    request.reset();
    if (setup.equals("none")) {
      chain.doFilter(request, response);
    } else {
      filter.doFilter(request, response, chain);
    }
    return response.getStatus();
  }
}
