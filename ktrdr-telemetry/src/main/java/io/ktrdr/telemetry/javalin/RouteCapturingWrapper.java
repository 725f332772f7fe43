package io.ktrdr.telemetry.javalin;

import io.javalin.http.Handler;
import io.javalin.router.Endpoint;
import io.javalin.router.HandlerWrapper;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerRoute;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerRouteSource;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Javalin's handler wrapper: tells the request's {@link RequestState} which route template matched
 * and which exception escaped the handler. Wrapped handlers are cached per endpoint, so a request
 * allocates nothing here.
 */
final class RouteCapturingWrapper implements HandlerWrapper {
  private final ConcurrentHashMap<Endpoint, Handler> wrapped = new ConcurrentHashMap<>();

  @Override
  public Handler wrap(Endpoint endpoint) {
    Handler handler = wrapped.get(endpoint);
    if (handler == null) {
      handler = wrapped.computeIfAbsent(endpoint, RouteCapturingWrapper::capture);
    }
    return handler;
  }

  private static Handler capture(Endpoint endpoint) {
    Handler delegate = endpoint.handler;
    if (!endpoint.method.isHttpMethod()) {
      return delegate;
    }
    String route = endpoint.path;
    return ctx -> {
      Object attribute = ctx.req().getAttribute(RequestState.ATTRIBUTE);
      RequestState state = attribute instanceof RequestState ? (RequestState) attribute : null;
      if (state != null) {
        state.route = route;
        if (state.span != null) {
          HttpServerRoute.update(state.span, HttpServerRouteSource.CONTROLLER, route);
        }
      }
      try {
        delegate.handle(ctx);
      } catch (Exception e) {
        if (state != null) {
          state.error = e;
        }
        throw e;
      }
    };
  }
}
