package io.ktrdr.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.javalin.KtrdrJavalinPlugin;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The load-test server: one Javalin app with the endpoint the load generator calls, in one of these
 * set-ups:
 *
 * <ul>
 *   <li>{@code bare}: no telemetry (also the target of the OpenTelemetry Java agent run);
 *   <li>{@code metrics}: ktrdr-telemetry metrics only;
 *   <li>{@code tracing}: ktrdr-telemetry metrics and tracing, exported over OTLP (endpoint from
 *       {@code OTEL_EXPORTER_OTLP_ENDPOINT}; sampling from {@code OTEL_TRACES_SAMPLER} and the
 *       {@code KTRDR_TRACES_*} keys);
 *   <li>{@code micrometer}: Micrometer's {@code PrometheusMeterRegistry} recording the HTTP server
 *       timer the way javalin-micrometer does ({@link MicrometerPeer});
 *   <li>{@code client_java}: client_java's own histogram in a minimal filter ({@link
 *       ClientJavaPeer}), the floor for metrics;
 *   <li>{@code floor}: OpenTelemetry alone writing the same server span as {@code tracing}, to the
 *       same exporter, with no metrics ({@link OtelFloor}), the floor for tracing.
 * </ul>
 *
 * <p>Every set-up serves the same {@code /api/v1/data/{symbol}/{timeframe}} and {@code /health}.
 * With a third argument, a separate JDK {@code HttpServer} on that port of 127.0.0.1, outside the
 * app and its telemetry, answers {@code GET /allocated} with the bytes the JVM's live threads have
 * allocated so far ({@link #allocatedBytes()}): the load test reads it before and after its
 * measured window.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.ktrdr.bench.LoadTarget <mode> <port> [statsPort]}
 */
public final class LoadTarget {
  static final String ALLOCATED_PATH = "/allocated";
  static final String ROUTE = "/api/v1/data/{symbol}/{timeframe}";
  private static final String BODY =
      "{\"symbol\":\"AAPL\",\"timeframe\":\"1d\",\"count\":2,\"bars\":[{\"timestamp\":\"2024-01-02T00:00:00Z\","
          + "\"open\":185.2,\"high\":186.9,\"low\":183.8,\"close\":185.6,\"volume\":523411},"
          + "{\"timestamp\":\"2024-01-03T00:00:00Z\",\"open\":185.6,\"high\":187.1,\"low\":184.0,"
          + "\"close\":184.3,\"volume\":498120}]}";

  private LoadTarget() {}

  public static void main(String[] args) throws IOException {
    String mode = args[0];
    int port = Integer.parseInt(args[1]);
    if (args.length > 2) {
      startStats(Integer.parseInt(args[2]));
    }
    app(mode).start("127.0.0.1", port);
    System.out.println("load-target " + mode + " on " + port);
  }

  /** The app in {@code mode}, not started. */
  static Javalin app(String mode) {
    return switch (mode) {
      case "bare" -> Javalin.create(LoadTarget::routes);
      case "metrics" -> ktrdr(KtrdrTelemetry.setupMetrics("load-target"), LoadTarget::routes);
      case "tracing" -> ktrdr(KtrdrTelemetry.setup("load-target"), LoadTarget::routes);
      case "micrometer" ->
          Javalin.create(config -> MicrometerPeer.install(config, LoadTarget::routes));
      case "client_java" ->
          Javalin.create(config -> ClientJavaPeer.install(config, LoadTarget::routes));
      case "floor" -> {
        OpenTelemetry sdk = OtelFloor.sdk(Map.of());
        yield Javalin.create(config -> OtelFloor.install(config, sdk, LoadTarget::routes));
      }
      default ->
          throw new IllegalArgumentException(
              "mode must be bare, metrics, tracing, floor, micrometer or client_java, not " + mode);
    };
  }

  /** The app with {@code telemetry}'s plugin, not started. */
  static Javalin ktrdr(KtrdrTelemetry telemetry, Consumer<JavalinConfig> routes) {
    return Javalin.create(
        config -> {
          config.registerPlugin(new KtrdrJavalinPlugin(plugin -> plugin.telemetry = telemetry));
          routes.accept(config);
        });
  }

  static void routes(JavalinConfig config) {
    config.startup.showJavalinBanner = false;
    // Javalin's own pool (at most 250 threads, at least 8, the same name), but idle threads are
    // kept for an hour instead of a minute: run.sh parks each JVM between its windows, and Jetty
    // ends an idle thread per timeout, which would take that thread's allocation count out of a
    // later window (see allocatedBytes).
    QueuedThreadPool pool = new QueuedThreadPool(250, 8, (int) TimeUnit.HOURS.toMillis(1));
    pool.setName("JettyServerThreadPool");
    config.jetty.threadPool = pool;
    config.routes.get("/health", ctx -> ctx.result("ok"));
    config.routes.get(
        ROUTE,
        ctx -> {
          ctx.pathParamMap();
          ctx.contentType("application/json").result(BODY);
        });
  }

  /**
   * Bytes allocated so far by the JVM's live threads (HotSpot's per-thread allocation counters,
   * summed). Threads that ended are no longer counted, so a difference over a window misses what
   * threads that died inside it allocated.
   */
  static long allocatedBytes() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long total = 0;
    for (long bytes : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
      if (bytes > 0) {
        total += bytes;
      }
    }
    return total;
  }

  private static void startStats(int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 4);
    server.createContext(ALLOCATED_PATH, LoadTarget::allocated);
    server.start();
  }

  private static void allocated(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = (allocatedBytes() + "\n").getBytes(StandardCharsets.US_ASCII);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
