package io.ktrdr.telemetry.http;

import static io.opentelemetry.semconv.HttpAttributes.HTTP_REQUEST_METHOD;
import static io.opentelemetry.semconv.HttpAttributes.HTTP_ROUTE;
import static io.opentelemetry.semconv.ServerAttributes.SERVER_ADDRESS;
import static io.opentelemetry.semconv.ServerAttributes.SERVER_PORT;
import static io.opentelemetry.semconv.UrlAttributes.URL_PATH;
import static io.opentelemetry.semconv.UrlAttributes.URL_SCHEME;

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
 * and only when the span records. The sampler sees the attributes the HTTP semantic conventions ask
 * for at span creation: {@code http.request.method}, {@code url.scheme}, {@code url.path}, {@code
 * server.address} and {@code server.port} (from the {@code Host} header, as the servlet container
 * parsed it), so a rule-based sampler can drop a path. They are the only cost of a request that is
 * not sampled beyond its span context: the method and scheme are constants, the path and the host
 * are the container's strings, the port is boxed once; the SDK's attribute map for the span builder
 * is the one allocation (docs/performance.md, "Sampling-time attributes").
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

  /** The last {@code server.port} boxed: a server answers on one or two ports. */
  private volatile @Nullable Long lastPort;

  /**
   * What the sampler is given of a request besides its method and scheme, read before the span
   * starts; the container's own strings, so a request that is not sampled allocates nothing here.
   */
  interface StartAttributes<REQUEST> {
    /** {@code url.path}: the request's path, undecoded. */
    String urlPath(REQUEST request);

    /** {@code server.address}: the host the request was sent to (its Host), or null. */
    @Nullable String serverAddress(REQUEST request);

    /** {@code server.port}: the port the request was sent to, or 0 when unknown. */
    int serverPort(REQUEST request);
  }

  private final StartAttributes<REQUEST> startAttributes;

  <G extends HttpServerAttributesGetter<REQUEST, RESPONSE> & StartAttributes<REQUEST>>
      ServerTracing(OpenTelemetry openTelemetry, G getter) {
    this.startAttributes = getter;
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
            .setParent(parent)
            .setAttribute(HTTP_REQUEST_METHOD, HttpServerMetrics.methodName(state.methodIndex()))
            .setAttribute(URL_SCHEME, state.https() ? "https" : "http")
            .setAttribute(URL_PATH, startAttributes.urlPath(request));
    String host = startAttributes.serverAddress(request);
    if (host != null && !host.isEmpty()) {
      builder.setAttribute(SERVER_ADDRESS, host);
      int port = startAttributes.serverPort(request);
      if (port > 0) {
        builder.setAttribute(SERVER_PORT, boxed(port));
      }
    }
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

  private Long boxed(int port) {
    Long last = lastPort;
    if (last == null || last != port) {
      last = (long) port;
      lastPort = last;
    }
    return last;
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
