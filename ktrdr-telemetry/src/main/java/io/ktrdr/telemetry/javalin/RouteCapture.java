package io.ktrdr.telemetry.javalin;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.router.Endpoint;
import jakarta.servlet.http.HttpServletRequest;

/**
 * A {@code beforeMatched} handler: once Javalin has matched the request to an endpoint, tells the
 * request's {@link RequestState} (and its server span) the endpoint's route template. It asks
 * Javalin ({@code ctx.endpoints().matchedHttpEndpoint()}) instead of wrapping handlers, so the
 * application keeps the router's {@code handlerWrapper} for itself. Allocates nothing.
 */
final class RouteCapture implements Handler {
  static final RouteCapture INSTANCE = new RouteCapture();

  private RouteCapture() {}

  @Override
  public void handle(Context ctx) {
    Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
    if (endpoint != null) {
      routeMatched(ctx.req(), endpoint.path);
    }
  }

  /**
   * Tells the telemetry of {@code request} (when it has any) that it matched {@code route}; the
   * first route matched wins.
   */
  static void routeMatched(HttpServletRequest request, String route) {
    Object attribute = request.getAttribute(RequestState.ATTRIBUTE);
    if (!(attribute instanceof RequestState)) {
      return;
    }
    RequestState state = (RequestState) attribute;
    if (state.route != null) {
      return;
    }
    state.route = route;
    if (state.recording != null) {
      state.recording.routeMatched(route);
    }
  }
}
