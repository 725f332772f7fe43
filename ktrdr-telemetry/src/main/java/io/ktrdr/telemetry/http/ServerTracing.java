package io.ktrdr.telemetry.http;

import static io.opentelemetry.semconv.HttpAttributes.HTTP_ROUTE;

import io.ktrdr.telemetry.internal.http.HttpServerMetrics;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.ErrorCauseExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.SpanStatusExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesGetter;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanStatusExtractor;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Server spans after the HTTP semantic conventions: parent from the incoming {@code traceparent} (a
 * malformed one starts a new trace), kind SERVER, name {@code METHOD route} once the route is known
 * ({@code METHOD} before, {@code HTTP} for a non-standard method), status ERROR on 5xx.
 *
 * <p>The attributes and the status come from OpenTelemetry's instrumentation API ({@link
 * HttpServerAttributesExtractor}, {@link HttpSpanStatusExtractor}), written straight into the span,
 * and only when the span records: a request that is not sampled gets a span context (its trace id
 * is in the logs and forwarded downstream) and nothing else, no attribute is read or allocated for
 * it. The sampler therefore decides on the span name and the parent alone; it sees no attributes
 * (to leave paths out, use the filters' {@code excludedPaths}).
 *
 * @param <REQUEST> the server's request type
 * @param <RESPONSE> the server's response type
 */
final class ServerTracing<REQUEST, RESPONSE> {
  static final String SCOPE = HttpServerMetrics.SCOPE;
  private static final int MAX_CACHED_ROUTES = 1000;

  /** Span names before the route is known, by method index; non-standard methods are HTTP. */
  private static final String[] METHOD_NAMES = new String[HttpServerMetrics.OTHER_METHOD + 1];

  static {
    for (int i = 0; i < HttpServerMetrics.OTHER_METHOD; i++) {
      METHOD_NAMES[i] = HttpServerMetrics.methodName(i);
    }
    METHOD_NAMES[HttpServerMetrics.OTHER_METHOD] = "HTTP";
  }

  private final Tracer tracer;
  private final AttributesExtractor<REQUEST, RESPONSE> attributes;
  private final SpanStatusExtractor<REQUEST, RESPONSE> status;
  private final ConcurrentHashMap<String, String[]> routeNames = new ConcurrentHashMap<>();

  ServerTracing(OpenTelemetry openTelemetry, HttpServerAttributesGetter<REQUEST, RESPONSE> getter) {
    this.tracer = openTelemetry.getTracer(SCOPE);
    this.attributes = HttpServerAttributesExtractor.create(getter);
    this.status = HttpSpanStatusExtractor.create(getter);
  }

  /**
   * Starts the server span of {@code request} as a child of {@code parent} (the caller's context)
   * and records it in {@code state}; {@code callerLink}, when not null, is the caller's context of
   * a request that starts a new trace ({@code new_root}), linked from the span.
   *
   * @return {@code parent} with the server span
   */
  Context start(
      RequestState state, Context parent, REQUEST request, @Nullable SpanContext callerLink) {
    SpanBuilder builder =
        tracer
            .spanBuilder(METHOD_NAMES[state.methodIndex()])
            .setSpanKind(SpanKind.SERVER)
            .setParent(parent);
    if (callerLink != null) {
      builder.addLink(callerLink);
    }
    Span span = builder.startSpan();
    state.span = span;
    if (span.isRecording()) {
      SpanWriter writer = new SpanWriter(span, this, state.methodIndex());
      state.recording = writer;
      attributes.onStart(writer, parent, request);
    }
    return parent.with(span);
  }

  /**
   * Ends the server span of {@code state}; {@code error} is the failure of a 5xx request, or {@code
   * null}.
   */
  void end(
      RequestState state,
      Context context,
      REQUEST request,
      RESPONSE response,
      @Nullable Throwable error) {
    Span span = state.span;
    if (span == null) {
      return;
    }
    SpanWriter writer = state.recording;
    if (writer != null) {
      Throwable cause = error == null ? null : ErrorCauseExtractor.getDefault().extract(error);
      if (cause != null) {
        span.recordException(cause);
      }
      attributes.onEnd(writer, context, request, response, cause);
      if (state.route != null) {
        span.setAttribute(HTTP_ROUTE, state.route);
      }
      status.extract(writer, request, response, cause);
    }
    span.end();
  }

  /** {@code METHOD route}, built once per method and route (up to a bound of routes). */
  String spanName(int methodIndex, String route) {
    String[] names = routeNames.get(route);
    if (names == null) {
      if (routeNames.size() >= MAX_CACHED_ROUTES) {
        return METHOD_NAMES[methodIndex] + " " + route;
      }
      names = routeNames.computeIfAbsent(route, r -> new String[METHOD_NAMES.length]);
    }
    String name = names[methodIndex];
    if (name == null) {
      name = METHOD_NAMES[methodIndex] + " " + route;
      names[methodIndex] = name;
    }
    return name;
  }
}
