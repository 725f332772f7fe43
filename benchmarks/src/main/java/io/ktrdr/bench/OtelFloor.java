package io.ktrdr.bench;

import static io.opentelemetry.semconv.ClientAttributes.CLIENT_ADDRESS;
import static io.opentelemetry.semconv.ErrorAttributes.ERROR_TYPE;
import static io.opentelemetry.semconv.HttpAttributes.HTTP_REQUEST_METHOD;
import static io.opentelemetry.semconv.HttpAttributes.HTTP_RESPONSE_STATUS_CODE;
import static io.opentelemetry.semconv.HttpAttributes.HTTP_ROUTE;
import static io.opentelemetry.semconv.NetworkAttributes.NETWORK_PEER_ADDRESS;
import static io.opentelemetry.semconv.NetworkAttributes.NETWORK_PEER_PORT;
import static io.opentelemetry.semconv.NetworkAttributes.NETWORK_PROTOCOL_VERSION;
import static io.opentelemetry.semconv.ServerAttributes.SERVER_ADDRESS;
import static io.opentelemetry.semconv.ServerAttributes.SERVER_PORT;
import static io.opentelemetry.semconv.UrlAttributes.URL_PATH;
import static io.opentelemetry.semconv.UrlAttributes.URL_SCHEME;
import static io.opentelemetry.semconv.UserAgentAttributes.USER_AGENT_ORIGINAL;

import io.javalin.config.JavalinConfig;
import io.javalin.router.Endpoint;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.jspecify.annotations.Nullable;

/**
 * The floor of the load test for tracing: OpenTelemetry alone doing the work of ktrdr-telemetry's
 * server span, written as a user of the plain API would write it, with no ktrdr-telemetry code on
 * the request path and no metrics.
 *
 * <p>The SDK is built by autoconfigure with the settings ktrdr-telemetry gives it (sampler {@code
 * parentbased_always_on}, the batch span processor with a queue of 8192 and batches of 2048, the
 * OTLP http/protobuf exporter to {@code OTEL_EXPORTER_OTLP_ENDPOINT}, no metric or log exporter,
 * the SDK's own telemetry under its semantic-convention names); the environment overrides them as
 * it does ours. A servlet filter around Javalin's servlet extracts the caller's W3C {@code
 * traceparent}, starts a SERVER span named after the method with the attributes the sampler sees in
 * ours ({@code http.request.method}, {@code url.scheme}, {@code url.path}, {@code server.address},
 * {@code server.port}), makes it current for the handler, and ends it with the attributes ours
 * writes at the end ({@code http.response.status_code}, {@code http.route}, {@code
 * network.protocol.version}, {@code network.peer.*}, {@code client.address}, {@code
 * user_agent.original}) and status ERROR with {@code error.type} on a 5xx. A {@code beforeMatched}
 * handler renames the span {@code METHOD route} once Javalin matched the route. {@code
 * OtelFloorTest} holds the two spans equal, key by key.
 */
final class OtelFloor implements Filter {
  private static final String SPAN_ATTRIBUTE = OtelFloor.class.getName() + ".span";
  private static final String METHOD_ATTRIBUTE = OtelFloor.class.getName() + ".method";

  /** What ktrdr-telemetry sets on top of the SDK's defaults (OtelProperties). */
  static final Map<String, String> PROPERTIES =
      Map.of(
          "otel.service.name", "load-target",
          "otel.traces.sampler", "parentbased_always_on",
          "otel.traces.exporter", "otlp",
          "otel.metrics.exporter", "none",
          "otel.logs.exporter", "none",
          "otel.exporter.otlp.protocol", "http/protobuf",
          "otel.bsp.max.queue.size", "8192",
          "otel.bsp.max.export.batch.size", "2048",
          "otel.experimental.sdk.telemetry.version", "latest");

  private static final TextMapGetter<HttpServletRequest> HEADERS =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpServletRequest carrier) {
          return Collections.list(carrier.getHeaderNames());
        }

        @Override
        public @Nullable String get(@Nullable HttpServletRequest carrier, String key) {
          return carrier == null ? null : carrier.getHeader(key);
        }
      };

  private final Tracer tracer;
  private final TextMapPropagator propagator = W3CTraceContextPropagator.getInstance();

  private OtelFloor(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer("load-target");
  }

  /**
   * The SDK as ktrdr-telemetry configures it, with {@code overrides} on top (the environment and
   * system properties still win, as with ours), not registered as the global one.
   */
  static OpenTelemetrySdk sdk(Map<String, String> overrides) {
    Map<String, String> properties = new HashMap<>(PROPERTIES);
    properties.putAll(overrides);
    return AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> properties)
        .disableShutdownHook()
        .build()
        .getOpenTelemetrySdk();
  }

  /** Puts the floor's server spans, from {@code openTelemetry}, on the app; then {@code routes}. */
  static void install(
      JavalinConfig config, OpenTelemetry openTelemetry, Consumer<JavalinConfig> routes) {
    config.jetty.modifyServletContextHandler(
        context ->
            context.addFilter(
                new FilterHolder(new OtelFloor(openTelemetry)),
                "/*",
                EnumSet.of(DispatcherType.REQUEST)));
    config.routes.beforeMatched(
        ctx -> {
          Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
          if (endpoint != null) {
            routeMatched(ctx.req(), endpoint.path);
          }
        });
    routes.accept(config);
  }

  /** The floor's filter alone, for benchmarks without a server ({@code FilterBenchmark}). */
  static Filter filter(OpenTelemetry openTelemetry) {
    return new OtelFloor(openTelemetry);
  }

  /** Tells the span of {@code request} its route: its name and {@code http.route}. */
  static void routeMatched(HttpServletRequest request, String route) {
    if (request.getAttribute(SPAN_ATTRIBUTE) instanceof Span span) {
      request.setAttribute(HTTP_ROUTE.getKey(), route);
      span.updateName(request.getAttribute(METHOD_ATTRIBUTE) + " " + route);
    }
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest http = (HttpServletRequest) request;
    Context parent = propagator.extract(Context.root(), http, HEADERS);
    String method = http.getMethod();
    Span span =
        tracer
            .spanBuilder(method)
            .setSpanKind(SpanKind.SERVER)
            .setParent(parent)
            .setAttribute(HTTP_REQUEST_METHOD, method)
            .setAttribute(URL_SCHEME, http.getScheme())
            .setAttribute(URL_PATH, http.getRequestURI())
            .setAttribute(SERVER_ADDRESS, http.getServerName())
            .setAttribute(SERVER_PORT, (long) http.getServerPort())
            .startSpan();
    http.setAttribute(SPAN_ATTRIBUTE, span);
    http.setAttribute(METHOD_ATTRIBUTE, method);
    Throwable failure = null;
    try (Scope scope = parent.with(span).makeCurrent()) {
      chain.doFilter(request, response);
    } catch (IOException | ServletException | RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      end(
          span,
          http,
          failure == null ? ((HttpServletResponse) response).getStatus() : 500,
          failure);
    }
  }

  private static void end(
      Span span, HttpServletRequest http, int status, @Nullable Throwable failure) {
    if (span.isRecording()) {
      span.setAttribute(HTTP_RESPONSE_STATUS_CODE, (long) status);
      if (http.getAttribute(HTTP_ROUTE.getKey()) instanceof String route) {
        span.setAttribute(HTTP_ROUTE, route);
      }
      String protocol = http.getProtocol();
      if (protocol != null && protocol.startsWith("HTTP/")) {
        span.setAttribute(NETWORK_PROTOCOL_VERSION, protocol.substring("HTTP/".length()));
      }
      span.setAttribute(NETWORK_PEER_ADDRESS, http.getRemoteAddr());
      span.setAttribute(NETWORK_PEER_PORT, (long) http.getRemotePort());
      span.setAttribute(CLIENT_ADDRESS, http.getRemoteAddr());
      String userAgent = http.getHeader("User-Agent");
      if (userAgent != null) {
        span.setAttribute(USER_AGENT_ORIGINAL, userAgent);
      }
      if (failure != null) {
        span.recordException(failure);
      }
      if (status >= 500 || failure != null) {
        span.setStatus(StatusCode.ERROR);
        span.setAttribute(
            ERROR_TYPE, failure != null ? failure.getClass().getName() : Integer.toString(status));
      }
    }
    span.end();
  }
}
