package io.ktrdr.telemetry.javalin;

import io.ktrdr.telemetry.http.HttpServerMetrics;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Wraps every request Javalin serves (before-handlers, handler, exception mapping, after-handlers
 * and writing the response), so the duration covers all of it. For async handlers ({@code
 * ctx.future(...)}) the request is finished when the async context completes.
 */
final class RequestTelemetryFilter implements Filter {
  private final HttpServerMetrics metrics;
  private final PathMatcher excluded;

  RequestTelemetryFilter(HttpServerMetrics metrics, PathMatcher excluded) {
    this.metrics = metrics;
    this.excluded = excluded;
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (!(request instanceof HttpServletRequest) || !(response instanceof HttpServletResponse)) {
      chain.doFilter(request, response);
      return;
    }
    HttpServletRequest httpRequest = (HttpServletRequest) request;
    HttpServletResponse httpResponse = (HttpServletResponse) response;
    if (excluded.matches(httpRequest.getRequestURI())) {
      chain.doFilter(request, response);
      return;
    }
    RequestState state =
        new RequestState(
            System.nanoTime(),
            HttpServerMetrics.methodIndex(httpRequest.getMethod()),
            httpRequest.isSecure());
    metrics.requestStarted(state.methodIndex, state.https);
    httpRequest.setAttribute(RequestState.ATTRIBUTE, state);
    Throwable escaped = null;
    try {
      chain.doFilter(request, response);
    } catch (IOException | ServletException | RuntimeException | Error e) {
      escaped = e;
      throw e;
    } finally {
      if (escaped == null && httpRequest.isAsyncStarted()) {
        httpRequest.getAsyncContext().addListener(new FinishOnComplete(state, httpResponse));
      } else {
        finish(state, escaped == null ? httpResponse.getStatus() : 500, escaped);
      }
    }
  }

  private void finish(RequestState state, int status, Throwable escaped) {
    Throwable error = escaped != null ? escaped : state.error;
    metrics.requestFinished(
        state.methodIndex,
        state.https,
        state.route,
        status,
        error,
        System.nanoTime() - state.startNanos);
  }

  private final class FinishOnComplete implements AsyncListener {
    private final RequestState state;
    private final HttpServletResponse response;

    FinishOnComplete(RequestState state, HttpServletResponse response) {
      this.state = state;
      this.response = response;
    }

    @Override
    public void onComplete(AsyncEvent event) {
      finish(state, response.getStatus(), null);
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      // Javalin answers the timeout itself and then completes the context: onComplete records it.
    }

    @Override
    public void onError(AsyncEvent event) {
      state.error = event.getThrowable();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      event.getAsyncContext().addListener(this);
    }
  }
}
