package io.ktrdr.telemetry;

import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.ktrdr.telemetry.internal.scrape.MetricsServer;
import io.ktrdr.telemetry.internal.scrape.ScrapeRejections;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;

/** Lets tests outside this package serve a {@link MetricsHandler} with {@link MetricsServer}. */
public final class MetricsEndpoints {
  private MetricsEndpoints() {}

  /** The endpoint the library itself builds for its metrics server. */
  public static MetricsServer.Endpoint of(MetricsHandler handler) {
    return new MetricsServer.Endpoint(
        handler::handle, handler.rejections(), handler.errors(), handler.budget());
  }

  /** A handler over {@code registry}, as the library builds one, for tests of the server. */
  public static MetricsHandler handler(
      PrometheusRegistry registry,
      MetricsAuth auth,
      TelemetryErrors errors,
      ScrapeRejections rejections,
      Duration budget,
      int maxConcurrentScrapes) {
    return MetricsHandler.create(registry, auth, errors, rejections, budget, maxConcurrentScrapes);
  }

  /** Stops the handler's collecting thread, as closing the telemetry does. */
  public static void close(MetricsHandler handler) {
    handler.close();
  }
}
