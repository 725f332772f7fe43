package io.ktrdr.telemetry.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.http.ServletTelemetryFilter;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.proto.trace.v1.Status;
import jakarta.servlet.FilterChain;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Server spans cost a request that is not sampled its span context and the attributes the sampler
 * decides on (method, scheme, path, server address and port): the request is read for nothing else.
 * Sampled spans carry the whole HTTP semantic-convention attribute set.
 */
class ServerSpanTest {
  private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  private static final String PARENT_ID = "b7ad6b7169203331";
  private static final String ROUTE = "/api/v1/data/{symbol}/{timeframe}";

  /**
   * What a request is asked for span attributes once it is sampled (and never for metrics,
   * propagation or the sampler's attributes).
   */
  private static final Set<String> ATTRIBUTE_READS =
      Set.of(
          "getHeaders",
          "getHeaderNames",
          "getQueryString",
          "getScheme",
          "getProtocol",
          "getRemoteAddr",
          "getRemotePort",
          "getLocalAddr",
          "getLocalPort");

  /** What a request is asked for the sampler's {@code server.address} and {@code server.port}. */
  private static final List<String> SAMPLER_READS = List.of("getServerName", "getServerPort");

  private OtlpReceiver receiver;

  @BeforeEach
  void startReceiver() {
    receiver = OtlpReceiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.close();
  }

  private KtrdrTelemetry telemetry(Map<String, String> environment) {
    Map<String, String> env = new HashMap<>(environment);
    env.put("OTEL_BSP_SCHEDULE_DELAY", "50");
    return KtrdrTelemetry.builder()
        .serviceName("server-span-test")
        .otlpEndpoint(receiver.endpoint())
        .jvmMetrics(false)
        .shutdownHook(false)
        .environment(env)
        .build();
  }

  /** A GET of the data route whose calls are recorded in {@code calls}. */
  private static HttpServletRequest request(Map<String, String> headers, List<String> calls) {
    Map<String, Object> attributes = new ConcurrentHashMap<>();
    return (HttpServletRequest)
        Proxy.newProxyInstance(
            ServerSpanTest.class.getClassLoader(),
            new Class<?>[] {HttpServletRequest.class},
            (proxy, method, args) -> {
              calls.add(method.getName());
              switch (method.getName()) {
                case "getMethod":
                  return "GET";
                case "getRequestURI":
                  return "/api/v1/data/AAPL/1d";
                case "getContextPath":
                  return "";
                case "getQueryString":
                  return "start=2024-01-01";
                case "getScheme":
                  return "http";
                case "getProtocol":
                  return "HTTP/1.1";
                case "isSecure":
                case "isAsyncStarted":
                  return false;
                case "getHeader":
                  return headers.get(((String) args[0]).toLowerCase(java.util.Locale.ROOT));
                case "getHeaders":
                  String value = headers.get(((String) args[0]).toLowerCase(java.util.Locale.ROOT));
                  return java.util.Collections.enumeration(
                      value == null ? List.<String>of() : List.of(value));
                case "getHeaderNames":
                  return java.util.Collections.enumeration(headers.keySet());
                case "getRemoteAddr":
                case "getLocalAddr":
                case "getServerName":
                  return "127.0.0.1";
                case "getRemotePort":
                  return 50000;
                case "getLocalPort":
                case "getServerPort":
                  return 8080;
                case "getAttribute":
                  return attributes.get((String) args[0]);
                case "setAttribute":
                  attributes.put((String) args[0], args[1]);
                  return null;
                default:
                  throw new UnsupportedOperationException(method.getName());
              }
            });
  }

  private static HttpServletResponse response() {
    AtomicReference<Integer> status = new AtomicReference<>(200);
    return (HttpServletResponse)
        Proxy.newProxyInstance(
            ServerSpanTest.class.getClassLoader(),
            new Class<?>[] {HttpServletResponse.class},
            (proxy, method, args) -> {
              switch (method.getName()) {
                case "getStatus":
                  return status.get();
                case "setStatus":
                  status.set((Integer) args[0]);
                  return null;
                case "getHeaders":
                  return List.of();
                default:
                  throw new UnsupportedOperationException(method.getName());
              }
            });
  }

  /** Runs one request through the plugin's filter; returns the span context current inside. */
  private static SpanContext serve(KtrdrTelemetry telemetry, HttpServletRequest request)
      throws Exception {
    AtomicReference<SpanContext> inside = new AtomicReference<>();
    FilterChain chain =
        (req, res) -> {
          ServletTelemetryFilter.routeMatched((HttpServletRequest) req, ROUTE);
          inside.set(Span.current().getSpanContext());
          ((HttpServletResponse) res).setStatus(200);
        };
    KtrdrJavalinPlugin.filter(telemetry, List.of("/metrics")).doFilter(request, response(), chain);
    return inside.get();
  }

  @Test
  void anUnsampledChildIsReadOnlyForTheSamplersAttributesAndKeepsTheTraceCurrent()
      throws Exception {
    try (KtrdrTelemetry telemetry = telemetry(Map.of())) {
      List<String> calls = new ArrayList<>();
      HttpServletRequest request =
          request(
              Map.of(
                  "traceparent", "00-" + TRACE_ID + "-" + PARENT_ID + "-00",
                  "user-agent", "test",
                  "host", "127.0.0.1:8080"),
              calls);

      SpanContext inside = serve(telemetry, request);

      assertThat(inside.getTraceId()).isEqualTo(TRACE_ID);
      assertThat(inside.getSpanId()).isNotEqualTo(PARENT_ID);
      assertThat(inside.isSampled()).isFalse();
      assertThat(calls).doesNotContainAnyElementsOf(ATTRIBUTE_READS).containsAll(SAMPLER_READS);
    }
  }

  @Test
  void anUnsampledRootIsReadOnlyForTheSamplersAttributesAndGetsATraceId() throws Exception {
    try (KtrdrTelemetry telemetry =
        telemetry(
            Map.of(
                "OTEL_TRACES_SAMPLER", "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG", "0"))) {
      List<String> calls = new ArrayList<>();

      SpanContext inside = serve(telemetry, request(Map.of("user-agent", "test"), calls));

      assertThat(inside.isValid()).isTrue();
      assertThat(inside.isSampled()).isFalse();
      assertThat(calls).doesNotContainAnyElementsOf(ATTRIBUTE_READS).containsAll(SAMPLER_READS);
    }
  }

  @Test
  void aSampledRequestIsReadAndItsSpanCarriesTheWholeAttributeSet() throws Exception {
    try (KtrdrTelemetry telemetry = telemetry(Map.of())) {
      List<String> calls = new ArrayList<>();
      SpanContext inside =
          serve(
              telemetry,
              request(
                  Map.of(
                      "traceparent", "00-" + TRACE_ID + "-" + PARENT_ID + "-01",
                      "user-agent", "test",
                      "host", "127.0.0.1:8080"),
                  calls));

      ReceivedSpan span = receiver.awaitSpan("GET " + ROUTE);

      assertThat(inside.isSampled()).isTrue();
      assertThat(calls).contains("getHeaders", "getQueryString", "getRemoteAddr");
      assertThat(span.traceId()).isEqualTo(TRACE_ID);
      assertThat(span.parentSpanId()).isEqualTo(PARENT_ID);
      assertThat(span.spanId()).isEqualTo(inside.getSpanId());
      assertThat(span.span().getKind())
          .isEqualTo(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER);
      assertThat(span.span().getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);
      assertThat(span.attributes())
          .containsExactlyInAnyOrderEntriesOf(
              Map.ofEntries(
                  Map.entry("http.request.method", "GET"),
                  Map.entry("http.route", ROUTE),
                  Map.entry("http.response.status_code", "200"),
                  Map.entry("url.path", "/api/v1/data/AAPL/1d"),
                  Map.entry("url.query", "start=2024-01-01"),
                  Map.entry("url.scheme", "http"),
                  Map.entry("server.address", "127.0.0.1"),
                  Map.entry("server.port", "8080"),
                  Map.entry("client.address", "127.0.0.1"),
                  Map.entry("network.peer.address", "127.0.0.1"),
                  Map.entry("network.peer.port", "50000"),
                  Map.entry("network.protocol.version", "1.1"),
                  Map.entry("user_agent.original", "test")));
    }
  }
}
