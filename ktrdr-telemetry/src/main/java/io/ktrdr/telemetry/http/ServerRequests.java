package io.ktrdr.telemetry.http;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.internal.errors.SdkErrors;
import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.ktrdr.telemetry.internal.http.HttpServerMetrics;
import io.ktrdr.telemetry.internal.http.PathMatcher;
import io.ktrdr.telemetry.internal.sampling.InboundTraceContext;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesGetter;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * What every server filter does for a request, whatever the server: the duration histogram and the
 * active-requests counter, the caller's trace context under the service's inbound policy, and the
 * server span. A filter calls {@link #begin}, {@link #enter}, runs the request with the returned
 * context current, then calls {@link #finish}. None of these throws: a failure is counted in {@code
 * ktrdr_telemetry_errors_total{component="http-server-metrics"}} and the request goes on without
 * the part that failed.
 *
 * @param <REQUEST> the server's request type
 * @param <RESPONSE> the server's response type
 */
final class ServerRequests<REQUEST, RESPONSE> {
  private final HttpServerMetrics metrics;
  private final @Nullable ServerTracing<REQUEST, RESPONSE> tracing;
  private final TextMapPropagator propagator;
  private final TextMapGetter<REQUEST> headers;
  private final TelemetryErrors errors;
  private final PathMatcher excluded;
  private final InboundTraceContext.@Nullable Extractor<REQUEST> inbound;
  private final boolean newRoots;
  private final @Nullable Predicate<REQUEST> trustedCallers;
  private final @Nullable Function<REQUEST, @Nullable String> routeResolver;

  /**
   * @param excluded paths left alone: exact, or prefixes ending in {@code *}
   * @param routeResolver the route of a request no framework named, or {@code null} for none
   * @param trustedCallers requests to treat as from a trusted caller whatever the policy, or null
   */
  <
          G extends
              HttpServerAttributesGetter<REQUEST, RESPONSE> & TextMapGetter<REQUEST>
                  & ServerTracing.StartAttributes<REQUEST>>
      ServerRequests(
          KtrdrTelemetry telemetry,
          G getter,
          List<String> excluded,
          @Nullable Function<REQUEST, @Nullable String> routeResolver,
          @Nullable Predicate<REQUEST> trustedCallers) {
    OpenTelemetry openTelemetry = telemetry.openTelemetry();
    this.metrics = HttpServerMetrics.create(openTelemetry);
    this.tracing = telemetry.tracingEnabled() ? new ServerTracing<>(openTelemetry, getter) : null;
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    this.headers = getter;
    this.errors = SdkErrors.of(openTelemetry);
    this.excluded = new PathMatcher(excluded);
    this.routeResolver = routeResolver;
    InboundTraceContext policy = InboundTraceContext.of(openTelemetry);
    if (policy != null) {
      this.inbound = policy.extractor(propagator, getter);
      this.newRoots = policy.startsNewRoots();
      this.trustedCallers =
          policy.policy().equals(InboundTraceContext.TRUST) ? null : trustedCallers;
    } else {
      this.inbound = null;
      this.newRoots = false;
      this.trustedCallers = null;
    }
  }

  /**
   * Whether {@code path}, from index {@code from} on (after the servlet context path), is one the
   * telemetry leaves alone; a trailing {@code /} does not count.
   */
  boolean excluded(@Nullable String path, int from) {
    return excluded.matches(path, from);
  }

  /** A request arrived: counts it as active and starts its clock. */
  RequestState begin(String method, boolean https) {
    RequestState state =
        new RequestState(System.nanoTime(), HttpServerMetrics.methodIndex(method), https);
    metrics.requestStarted(state.methodIndex(), state.https());
    return state;
  }

  /**
   * The context to run {@code request} in: the caller's (under the inbound policy) with the server
   * span, when tracing is on. Without a server span (metrics only) the caller's trace context still
   * becomes current, so log lines carry its trace id and outgoing calls forward it.
   */
  Context enter(RequestState state, REQUEST request) {
    Context parent;
    SpanContext callerLink = null;
    try {
      if (inbound == null) {
        parent = propagator.extract(Context.current(), request, headers);
      } else {
        boolean trusted = trusted(request);
        parent = inbound.extract(Context.current(), request, trusted);
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
    return startSpan(state, parent, request, callerLink);
  }

  /** Whether {@code trustedCallers} trusts {@code request}; never throws. */
  private boolean trusted(REQUEST request) {
    Predicate<REQUEST> trust = trustedCallers;
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
      RequestState state, Context parent, REQUEST request, @Nullable SpanContext callerLink) {
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

  /**
   * The request is complete: names its route (when no framework did, through the route resolver),
   * records its duration and ends its span, while {@code context} is current (for exemplars).
   *
   * @param status the status sent
   * @param escaped the exception that ended the request before the server answered it, or {@code
   *     null}; such a request is recorded as 500
   */
  void finish(
      RequestState state,
      Context context,
      REQUEST request,
      RESPONSE response,
      int status,
      @Nullable Throwable escaped) {
    if (state.route == null && routeResolver != null) {
      try {
        String route = routeResolver.apply(request);
        if (route != null) {
          routeMatched(state, route);
        }
      } catch (RuntimeException e) {
        errors.record(TelemetryErrors.HTTP_SERVER_METRICS, e);
      }
    }
    if (escaped != null) {
      status = 500;
    }
    // A framework that maps handler exceptions to a response gives error.type the status code
    // sent; only an exception that escaped the server (no response) is reported by its class.
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

  /** Names the route of the request of {@code state} (and its span); the first route named wins. */
  static void routeMatched(RequestState state, String route) {
    if (state.route != null) {
      return;
    }
    state.route = route;
    if (state.recording != null) {
      state.recording.routeMatched(route);
    }
  }
}
