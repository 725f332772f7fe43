package io.ktrdr.bench;

import io.javalin.Javalin;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.javalin.KtrdrJavalinPlugin;
import java.util.List;
import java.util.Map;

/**
 * The load-test server: one Javalin app with the endpoint the load generator calls, in one of three
 * set-ups. {@code bare}: no telemetry (also the target of the OpenTelemetry Java agent run); {@code
 * metrics}: ktrdr-telemetry metrics only; {@code tracing}: metrics and every request traced and
 * exported over OTLP (endpoint from {@code OTEL_EXPORTER_OTLP_ENDPOINT}).
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.ktrdr.bench.LoadTarget <mode> <port>}
 */
public final class LoadTarget {
  private static final String BODY =
      "{\"symbol\":\"AAPL\",\"timeframe\":\"1d\",\"count\":2,\"bars\":[{\"timestamp\":\"2024-01-02T00:00:00Z\","
          + "\"open\":185.2,\"high\":186.9,\"low\":183.8,\"close\":185.6,\"volume\":523411},"
          + "{\"timestamp\":\"2024-01-03T00:00:00Z\",\"open\":185.6,\"high\":187.1,\"low\":184.0,"
          + "\"close\":184.3,\"volume\":498120}]}";

  private LoadTarget() {}

  public static void main(String[] args) {
    String mode = args[0];
    int port = Integer.parseInt(args[1]);
    KtrdrTelemetry telemetry =
        switch (mode) {
          case "bare" -> null;
          case "metrics" -> KtrdrTelemetry.setupMetrics("load-target");
          case "tracing" -> KtrdrTelemetry.setup("load-target");
          default -> throw new IllegalArgumentException("mode must be bare, metrics or tracing");
        };
    Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              if (telemetry != null) {
                config.registerPlugin(
                    new KtrdrJavalinPlugin(
                        plugin -> {
                          plugin.telemetry = telemetry;
                          plugin.excludedPaths = List.of("/metrics");
                        }));
              }
              config.routes.get("/health", ctx -> ctx.result("ok"));
              config.routes.get(
                  "/api/v1/data/{symbol}/{timeframe}",
                  ctx -> {
                    ctx.pathParamMap();
                    ctx.contentType("application/json").result(BODY);
                  });
            })
        .start("127.0.0.1", port);
    System.out.println("load-target " + mode + " on " + port + " " + Map.of());
  }
}
