package io.ktrdr.bench;

import io.javalin.config.JavalinConfig;
import io.ktrdr.telemetry.internal.http.HttpServerMetrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The Micrometer peer of the load test: a {@link PrometheusMeterRegistry} and the HTTP server timer
 * as javalin-micrometer records it (its 7.x release is not published, so this is the equivalent in
 * a few lines): name {@code http.server.requests}, tags {@code method}, {@code uri} (route
 * template), {@code status}, {@code outcome}, {@code exception}, the timer looked up in the
 * registry for each request (as its {@code TimedHandler} does), with histogram buckets at the same
 * bounds as ktrdr-telemetry's ({@link HttpServerMetrics#DURATION_BUCKETS}) as service-level
 * objectives. Scrape on {@code /metrics}.
 */
final class MicrometerPeer {
  private MicrometerPeer() {}

  static void install(JavalinConfig config, Consumer<JavalinConfig> routes) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Duration[] buckets =
        HttpServerMetrics.DURATION_BUCKETS.stream()
            .map(seconds -> Duration.ofNanos(Math.round(seconds * 1e9)))
            .toArray(Duration[]::new);
    PeerFilter.Recorder recorder =
        (method, route, status, statusCode, nanos) ->
            Timer.builder("http.server.requests")
                .tags(
                    "method",
                    method,
                    "uri",
                    route,
                    "status",
                    statusCode,
                    "outcome",
                    outcome(status),
                    "exception",
                    "None")
                .serviceLevelObjectives(buckets)
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    PeerFilter.install(
            recorder,
            ctx ->
                ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(registry.scrape()),
            routes)
        .accept(config);
  }

  /** Micrometer's outcome tag: the status class. */
  private static String outcome(int status) {
    if (status < 200) {
      return "INFORMATIONAL";
    } else if (status < 300) {
      return "SUCCESS";
    } else if (status < 400) {
      return "REDIRECTION";
    } else if (status < 500) {
      return "CLIENT_ERROR";
    }
    return "SERVER_ERROR";
  }
}
