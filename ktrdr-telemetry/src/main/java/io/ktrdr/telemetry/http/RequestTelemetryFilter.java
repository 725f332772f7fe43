package io.ktrdr.telemetry.javalin;

import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.ktrdr.telemetry.internal.http.HttpServerMetrics;
import io.ktrdr.telemetry.internal.sampling.InboundTraceContext;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
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
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Wraps every request Javalin serves (before-handlers, handler, exception mapping, after-handlers
 * and writing the response), so the duration covers all of it and the server span is current for
 * all of it (log lines and child spans get its trace id; the duration histogram gets an exemplar).
 * For async handlers ({@code ctx.future(...)}) the request is finished when the async context
 * completes.
 */
final class RequestTelemetryFilter implements Filter {
  private final HttpServerMetrics metrics;
  private final @Nullable ServerTracing tracing;
  private final TextMapPropagator propagator;
  private final TelemetryErrors errors;
  private final PathMatcher excluded;
  private final InboundTraceContext.@Nullable Extractor<HttpServletRequest> inbound;
  private final boolean newRoots;
  private final @Nullable Predicate<HttpServletRequest> trustedCallers;

  /**
   * @param tracing starts and ends server spans, or {@code null} when tracing is off
   * @param propagator reads the caller's context
   * @param inbound the service's inbound policy and bounds, or null when it trusts its callers
   * @param trustedCallers requests to treat as from a trusted caller whatever the policy, or null
   */
  RequestTelemetryFilter(
      HttpServerMetrics metrics,
      @Nullable ServerTracing tracing,
      TextMapPropagator propagator,
      TelemetryErrors errors,
      PathMatcher excluded,
      @Nullable InboundTraceContext inbound,
      @Nullable Predicate<HttpServletRequest> trustedCallers) {
    this.metrics = metrics;
    this.tracing = tracing;
    this.propagator = propagator;
    this.errors = errors;
    this.excluded = excluded;
    if (inbound != null) {
      this.inbound = inbound.extractor(propagator, ServletAttributesGetter.INSTANCE);
      this.newRoots = inbound.startsNewRoots();
      this.trustedCallers =
          inbound.policy().equals(InboundTraceContext.TRUST) ? null : trustedCallers;
    } else {
      this.inbound = null;
      this.newRoots = false;
      this.trustedCallers = null;
    }
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
    metrics.requestStarted(state.methodIndex(), state.https());
    httpRequest.setAttribute(RequestState.ATTRIBUTE, state);
    // Without a server span (metrics only) the caller's trace context still becomes current, so
    // log lines carry its trace id and outgoing calls forward it.
    Context parent;
    SpanContext callerLink = null;
    try {
      if (inbound == null) {
        parent =
            propagator.extract(Context.current(), httpRequest, ServletAttributesGetter.INSTANCE);
      } else {
        boolean trusted = trusted(httpRequest);
        parent = inbound.extract(Context.current(), httpRequest, trusted);
        if (newRoots && !trusted) {
          SpanContext caller = Span.fromContext(parent).getSpanContext();
          if (caller.isValid()) {
            // A new trace, linked to the caller's: the caller's trace id never becomes ours.
            callerLink = caller;
            parent = parent.with(Span.getInvalid());
          }
        }
      }
    } catch (RuntimeException e) {
      // A propagator that throws costs the request its caller's context, never the request.
      errors.record(TelemetryErrors.HTTP_SERVER_METRICS, e);
      parent = Context.current();
    }
    Context context = startSpan(state, parent, httpRequest, callerLink);
    Throwable escaped = null;
    try (Scope ignored = context.makeCurrent()) {
      try {
        chain.doFilter(request, response);
      } catch (IOException | ServletException | RuntimeException | Error e) {
        escaped = e;
        throw e;
      } finally {
        if (escaped == null && httpRequest.isAsyncStarted()) {
          httpRequest
              .getAsyncContext()
              .addListener(new FinishOnComplete(state, context, httpRequest, httpResponse));
        } else {
          finish(state, context, httpRequest, httpResponse, escaped);
        }
      }
    }
  }

  /** Whether the plugin's {@code trustedCallers} trusts {@code request}; never throws. */
  private boolean trusted(HttpServletRequest request) {
    Predicate<HttpServletRequest> trust = trustedCallers;
    if (trust == null) {
      return false;
    }
    try {
      return trust.test(request);
    } catch (RuntimeException e) {
      errors.record(TelemetryErrors.HTTP_SERVER_METRICS, e);
      return false;
    }
  }

  /** {@code parent} with the server span, or {@code parent} when tracing is off or failed. */
  private Context startSpan(
      RequestState state,
      Context parent,
      HttpServletRequest request,
      @Nullable SpanContext callerLink) {
    if (tracing == null) {
      return parent;
    }
    try {
      return tracing.start(state, parent, request, callerLink);
    } catch (RuntimeException e) {
      Span started = state.span;
      if (started != null) {
        started.end();
      }
      state.span = null;
      state.recording = null;
      errors.record(TelemetryErrors.HTTP_SERVER_METRICS, e);
      return parent;
    }
  }

  /** Records the metrics while the span is current (for exemplars), then ends the span. */
  private void finish(
      RequestState state,
      Context context,
      HttpServletRequest request,
      HttpServletResponse response,
      @Nullable Throwable escaped) {
    int status = escaped == null ? response.getStatus() : 500;
    // Javalin maps handler exceptions to a response; error.type is then the status code sent.
    // Only an exception that escaped Javalin (no response) is reported by its class.
    metrics.requestFinished(
        state.methodIndex(),
        state.https(),
        state.route,
        status,
        escaped,
        System.nanoTime() - state.startNanos);
    Throwable error = escaped != null ? escaped : state.error;
    if (tracing != null) {
      try {
        // 4xx are the client's errors: the server span is not failed by an exception mapped to one.
        tracing.end(state, context, request, response, status >= 500 ? error : null);
      } catch (RuntimeException e) {
        errors.record(TelemetryErrors.HTTP_SERVER_METRICS, e);
      }
    }
  }

  private final class FinishOnComplete implements AsyncListener {
    private final RequestState state;
    private final Context context;
    private final HttpServletRequest request;
    private final HttpServletResponse response;

    FinishOnComplete(
        RequestState state,
        Context context,
        HttpServletRequest request,
        HttpServletResponse response) {
      this.state = state;
      this.context = context;
      this.request = request;
      this.response = response;
    }

    @Override
    public void onComplete(AsyncEvent event) {
      try (Scope ignored = context.makeCurrent()) {
        finish(state, context, request, response, null);
      }
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
