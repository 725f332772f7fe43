package io.ktrdr.telemetry.internal.http;

import io.ktrdr.telemetry.internal.errors.SdkErrors;
import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.context.Context;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * HTTP server metrics after the stable OpenTelemetry semantic conventions, independent of any
 * server. An adapter (such as {@code KtrdrJavalinPlugin}) calls {@link #requestStarted} when a
 * request arrives and {@link #requestFinished} when its response is complete.
 *
 * <p>Emits:
 *
 * <ul>
 *   <li>{@code http.server.request.duration} (histogram, seconds; Prometheus {@code
 *       http_server_request_duration_seconds}) with {@code http.request.method}, {@code
 *       http.route}, {@code http.response.status_code}, {@code url.scheme} and, for 5xx, {@code
 *       error.type}: the status code, or the exception's class when the request failed before a
 *       response was sent. Buckets 0.005 to 10 s, as the conventions advise.
 *   <li>{@code http.server.active_requests} (up-down counter; {@code http_server_active_requests})
 *       with {@code http.request.method} and {@code url.scheme}.
 * </ul>
 *
 * <p>Internal: not part of the public API. Server adapters ({@code KtrdrJavalinPlugin}) use it.
 *
 * <p>Cardinality is bounded by design: {@code http.route} is the matched route template or absent,
 * never the raw path; methods outside the standard nine become {@code _OTHER}. Attribute sets are
 * cached, so recording allocates nothing. Recording never throws: a failure is logged once and
 * counted in {@code ktrdr_telemetry_errors_total{component="http-server-metrics"}}.
 */
public final class HttpServerMetrics {
  /** Bucket boundaries advised by the HTTP semantic conventions, in seconds. */
  public static final List<Double> DURATION_BUCKETS =
      List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);

  private static final String COMPONENT = TelemetryErrors.HTTP_SERVER_METRICS;
  private static final int MAX_CACHED_ROUTES = 1000;
  private static final double NANOS_PER_SECOND = 1_000_000_000.0;

  private final DoubleHistogram duration;
  private final LongUpDownCounter activeRequests;
  private final ServerAttributes attributes = new ServerAttributes(MAX_CACHED_ROUTES);
  private final TelemetryErrors errors;

  HttpServerMetrics(Meter meter, TelemetryErrors errors) {
    this.duration =
        meter
            .histogramBuilder("http.server.request.duration")
            .setUnit("s")
            .setDescription("Duration of HTTP server requests.")
            .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS)
            .build();
    this.activeRequests =
        meter
            .upDownCounterBuilder("http.server.active_requests")
            .setUnit("{request}")
            .setDescription("Number of active HTTP server requests.")
            .build();
    this.errors = errors;
  }

  /** The instrumentation scope of the HTTP server instruments. */
  public static final String SCOPE = "io.ktrdr.telemetry.http";

  /**
   * Creates the instruments on {@code openTelemetry}'s meter for {@link #SCOPE}. Several instances
   * on one SDK share the instruments (the SDK returns the same instrument for the same name).
   */
  public static HttpServerMetrics create(OpenTelemetry openTelemetry) {
    Objects.requireNonNull(openTelemetry, "openTelemetry");
    return new HttpServerMetrics(
        openTelemetry.getMeterProvider().get(SCOPE), SdkErrors.of(openTelemetry));
  }

  /**
   * Normalizes a request method to the index used by the other methods: the nine standard methods
   * (case-sensitive, as the conventions require) or {@code _OTHER}.
   */
  public static int methodIndex(String method) {
    return ServerAttributes.methodIndex(method);
  }

  /** The method name reported for {@code methodIndex}: a standard method or {@code _OTHER}. */
  public static String methodName(int methodIndex) {
    return ServerAttributes.METHODS[methodIndex];
  }

  /** The method index of every method outside the standard nine ({@code _OTHER}). */
  public static final int OTHER_METHOD = ServerAttributes.OTHER_METHOD;

  /** A request arrived. */
  public void requestStarted(int methodIndex, boolean https) {
    try {
      activeRequests.add(1, attributes.active(methodIndex, https), Context.root());
    } catch (RuntimeException e) {
      errors.record(COMPONENT, e);
    }
  }

  /**
   * A request's response is complete.
   *
   * @param route the matched route template, or {@code null} when no route matched (never the raw
   *     path)
   * @param error the exception that ended the request before a response was sent, or {@code null}
   *     (an exception the server turned into a response is reported by its status code)
   * @param durationNanos time from arrival to completion
   */
  public void requestFinished(
      int methodIndex,
      boolean https,
      @Nullable String route,
      int status,
      @Nullable Throwable error,
      long durationNanos) {
    try {
      // Recorded outside the request's context: a gauge carries no exemplar in any Prometheus
      // format, and offering one costs a sampled request a reservoir update.
      activeRequests.add(-1, attributes.active(methodIndex, https), Context.root());
      duration.record(
          durationNanos / NANOS_PER_SECOND,
          attributes.duration(methodIndex, https, route, status, error));
    } catch (RuntimeException e) {
      errors.record(COMPONENT, e);
    }
  }
}
