package io.ktrdr.bench;

import io.javalin.config.JavalinConfig;
import io.ktrdr.telemetry.internal.http.HttpServerMetrics;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.function.Consumer;

/**
 * The client_java peer of the load test, the floor for metrics: client_java's own {@link Histogram}
 * {@code http_server_request_duration_seconds} with labels {@code http_request_method}, {@code
 * http_route}, {@code http_response_status_code}, classic buckets only, at the same bounds as
 * ktrdr-telemetry's ({@link HttpServerMetrics#DURATION_BUCKETS}), recorded by {@link PeerFilter};
 * client_java's defaults otherwise. Scrape on {@code /metrics}.
 */
final class ClientJavaPeer {
  private ClientJavaPeer() {}

  static void install(JavalinConfig config, Consumer<JavalinConfig> routes) {
    PrometheusRegistry registry = new PrometheusRegistry();
    Histogram duration =
        Histogram.builder()
            .name("http_server_request_duration_seconds")
            .help("Duration of HTTP server requests.")
            .unit(Unit.SECONDS)
            .labelNames("http_request_method", "http_route", "http_response_status_code")
            .classicOnly()
            .classicUpperBounds(
                HttpServerMetrics.DURATION_BUCKETS.stream()
                    .mapToDouble(Double::doubleValue)
                    .toArray())
            .register(registry);
    PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    PeerFilter.install(
            (method, route, status, statusCode, nanos) ->
                duration.labelValues(method, route, statusCode).observe(Unit.nanosToSeconds(nanos)),
            ctx -> {
              ctx.contentType(writer.getContentType());
              writer.write(ctx.outputStream(), registry.scrape());
            },
            routes)
        .accept(config);
  }
}
