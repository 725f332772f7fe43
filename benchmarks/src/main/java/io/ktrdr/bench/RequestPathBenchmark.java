package io.ktrdr.bench;

import com.sun.net.httpserver.HttpServer;
import io.javalin.Javalin;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.javalin.KtrdrJavalinPlugin;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.LocalConnector;
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
 * One request through the real path: HTTP bytes into Jetty's in-memory {@link LocalConnector},
 * Jetty's request object, the plugin's servlet filter, Javalin's routing (the plugin's {@code
 * beforeMatched} route capture) and handler, the response. No socket, so the loopback network does
 * not drown the telemetry's cost. {@code none} is the same app without the plugin: the telemetry
 * costs the difference. {@code metrics+unsampled} traces, but the caller's {@code traceparent} is
 * not sampled, so neither is the request. {@code metrics+tracing} samples every request (the
 * caller's {@code traceparent} is sampled) and exports the spans over OTLP to an in-process sink.
 * Run with {@code -prof gc} for the allocation per request.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class RequestPathBenchmark {
  private static final String REQUEST =
      "GET /api/v1/data/AAPL/1d?start=2024-01-01 HTTP/1.1\r\n"
          + "Host: bench\r\n"
          + "Connection: close\r\n"
          + "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-%s\r\n"
          + "\r\n";

  @Param({"none", "metrics", "metrics+unsampled", "metrics+tracing"})
  public String telemetry;

  private String httpRequest;

  private KtrdrTelemetry kit;
  private HttpServer sink;
  private Javalin app;
  private LocalConnector connector;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    sink = OtlpSink.start(0);
    kit =
        KtrdrTelemetry.builder()
            .serviceName("bench")
            .tracing(telemetry.startsWith("metrics+"))
            .otlpEndpoint("http://127.0.0.1:" + sink.getAddress().getPort())
            .jvmMetrics(false)
            .shutdownHook(false)
            .environment(Map.of("OTEL_BSP_SCHEDULE_DELAY", "200"))
            .build();
    AtomicReference<LocalConnector> local = new AtomicReference<>();
    app =
        Javalin.create(
                config -> {
                  if (!telemetry.equals("none")) {
                    config.registerPlugin(new KtrdrJavalinPlugin(plugin -> plugin.telemetry = kit));
                  }
                  config.jetty.addConnector(
                      (server, http) -> {
                        LocalConnector connector =
                            new LocalConnector(server, new HttpConnectionFactory(http));
                        local.set(connector);
                        return connector;
                      });
                  config.routes.get(
                      "/api/v1/data/{symbol}/{timeframe}",
                      ctx -> ctx.result(ctx.pathParam("symbol")));
                })
            .start("127.0.0.1", 0);
    connector = local.get();
    httpRequest = String.format(REQUEST, telemetry.equals("metrics+unsampled") ? "00" : "01");
    String response = request();
    if (!response.startsWith("HTTP/1.1 200") || !response.endsWith("AAPL")) {
      throw new IllegalStateException("unexpected response: " + response);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    app.stop();
    kit.close();
    sink.stop(0);
  }

  @Benchmark
  public String request() throws Exception {
    return connector.getResponse(httpRequest);
  }
}
