package io.ktrdr.telemetry.javalin;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.router.Endpoint;
import io.ktrdr.telemetry.http.ServletTelemetryFilter;

/**
 * A {@code beforeMatched} handler: once Javalin has matched the request to an endpoint, tells the
 * request's {@link ServletTelemetryFilter} (and its server span) the endpoint's route template. It
 * asks Javalin ({@code ctx.endpoints().matchedHttpEndpoint()}) instead of wrapping handlers, so the
 * application keeps the router's {@code handlerWrapper} for itself. Allocates nothing.
 */
final class RouteCapture implements Handler {
  static final RouteCapture INSTANCE = new RouteCapture();

  private RouteCapture() {}

  @Override
  public void handle(Context ctx) {
    Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
    if (endpoint != null) {
      ServletTelemetryFilter.routeMatched(ctx.req(), endpoint.path);
    }
  }
}
