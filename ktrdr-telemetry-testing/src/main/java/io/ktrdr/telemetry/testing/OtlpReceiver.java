package io.ktrdr.telemetry.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP receiver on loopback for tests: accepts {@code POST /v1/traces} and {@code /v1/logs}
 * (and {@code /otlp/v1/logs}, Loki's native OTLP path; {@code /v1/metrics} is accepted and
 * discarded), decodes the real protobuf payloads (gzip or not), and keeps what arrived.
 *
 * <pre>{@code
 * try (OtlpReceiver receiver = OtlpReceiver.start()) {
 *   // start the service with OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint()
 *   ReceivedSpan span = receiver.awaitSpan("GET /items/{id}");
 *   assertThat(span.attribute("http.route")).isEqualTo("/items/{id}");
 * }
 * }</pre>
 */
public final class OtlpReceiver implements AutoCloseable {

  /** One received span with its resource's attributes. */
  public record ReceivedSpan(Span span, Map<String, String> resource, String scope) {
    /** The span's name. */
    public String name() {
      return span.getName();
    }

    /** The {@code service.name} of the span's resource, or the empty string. */
    public String serviceName() {
      return resource.getOrDefault("service.name", "");
    }

    /** The span kind without its prefix: {@code SERVER}, {@code CLIENT}, {@code INTERNAL}, ... */
    public String kind() {
      return span.getKind().name().replace("SPAN_KIND_", "");
    }

    /** The trace id in lower-case hex. */
    public String traceId() {
      return HexFormat.of().formatHex(span.getTraceId().toByteArray());
    }

    /** The span id in lower-case hex. */
    public String spanId() {
      return HexFormat.of().formatHex(span.getSpanId().toByteArray());
    }

    /** The parent span id, or the empty string for a root span. */
    public String parentSpanId() {
      return HexFormat.of().formatHex(span.getParentSpanId().toByteArray());
    }

    /** The span's attributes, values as text. */
    public Map<String, String> attributes() {
      return toMap(span.getAttributesList());
    }

    /** One attribute of the span, or null. */
    public String attribute(String key) {
      return attributes().get(key);
    }
  }

  /**
   * One received log record with its resource's attributes, its scope's name and the path it was
   * posted to.
   */
  public record ReceivedLog(
      LogRecord log, Map<String, String> resource, String scope, String path) {
    /** The record's body, if it is a string. */
    public String body() {
      return log.getBody().getStringValue();
    }

    /** The trace id in lower-case hex, empty when the record has none. */
    public String traceId() {
      return HexFormat.of().formatHex(log.getTraceId().toByteArray());
    }

    /** The span id in lower-case hex, empty when the record has none. */
    public String spanId() {
      return HexFormat.of().formatHex(log.getSpanId().toByteArray());
    }

    /** The record's attributes, values as text. */
    public Map<String, String> attributes() {
      return toMap(log.getAttributesList());
    }
  }

  private final HttpServer server;
  private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();
  private final List<ReceivedLog> logs = new CopyOnWriteArrayList<>();

  private OtlpReceiver(HttpServer server) {
    this.server = server;
  }

  /** Starts on a free loopback port. */
  public static OtlpReceiver start() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
      OtlpReceiver receiver = new OtlpReceiver(server);
      server.createContext("/v1/traces", receiver::traces);
      server.createContext("/v1/logs", receiver::logs);
      server.createContext("/otlp/v1/logs", receiver::logs);
      server.createContext("/v1/metrics", exchange -> respond(exchange, new byte[0]));
      server.setExecutor(Executors.newFixedThreadPool(2));
      server.start();
      return receiver;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The base URL to give as {@code OTEL_EXPORTER_OTLP_ENDPOINT}. */
  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private static byte[] body(HttpExchange exchange) throws IOException {
    InputStream in = exchange.getRequestBody();
    if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
      in = new GZIPInputStream(in);
    }
    return in.readAllBytes();
  }

  private void traces(HttpExchange exchange) throws IOException {
    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body(exchange));
    for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
      Map<String, String> resource = toMap(resourceSpans.getResource().getAttributesList());
      for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
        for (Span span : scopeSpans.getSpansList()) {
          spans.add(new ReceivedSpan(span, resource, scopeSpans.getScope().getName()));
        }
      }
    }
    respond(exchange, ExportTraceServiceResponse.getDefaultInstance().toByteArray());
  }

  private void logs(HttpExchange exchange) throws IOException {
    ExportLogsServiceRequest request = ExportLogsServiceRequest.parseFrom(body(exchange));
    for (ResourceLogs resourceLogs : request.getResourceLogsList()) {
      Map<String, String> resource = toMap(resourceLogs.getResource().getAttributesList());
      for (ScopeLogs scopeLogs : resourceLogs.getScopeLogsList()) {
        for (LogRecord log : scopeLogs.getLogRecordsList()) {
          logs.add(
              new ReceivedLog(
                  log,
                  resource,
                  scopeLogs.getScope().getName(),
                  exchange.getRequestURI().getPath()));
        }
      }
    }
    respond(exchange, new byte[0]);
  }

  private static void respond(HttpExchange exchange, byte[] body) throws IOException {
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  /** OTLP attributes as a map, values as text (strings, numbers, booleans; others as protobuf). */
  public static Map<String, String> toMap(List<KeyValue> attributes) {
    Map<String, String> map = new LinkedHashMap<>();
    for (KeyValue kv : attributes) {
      map.put(kv.getKey(), toString(kv.getValue()));
    }
    return map;
  }

  private static String toString(AnyValue value) {
    switch (value.getValueCase()) {
      case STRING_VALUE:
        return value.getStringValue();
      case INT_VALUE:
        return Long.toString(value.getIntValue());
      case DOUBLE_VALUE:
        return Double.toString(value.getDoubleValue());
      case BOOL_VALUE:
        return Boolean.toString(value.getBoolValue());
      default:
        return value.toString();
    }
  }

  /** The spans received so far, in arrival order. */
  public List<ReceivedSpan> spans() {
    return new ArrayList<>(spans);
  }

  /** The log records received so far, in arrival order. */
  public List<ReceivedLog> logs() {
    return new ArrayList<>(logs);
  }

  /**
   * Waits until at least {@code count} received spans match, at most {@code timeout}; returns the
   * matches (at least {@code count}). Fails naming every span received so far.
   */
  public List<ReceivedSpan> awaitSpans(Predicate<ReceivedSpan> match, int count, Duration timeout) {
    try {
      return Await.value(
          count + " matching span(s)",
          timeout,
          () -> spans.stream().filter(match).collect(Collectors.toList()),
          found -> found.size() >= count);
    } catch (AssertionError e) {
      // Named at the timeout, not when the wait began.
      throw new AssertionError(e.getMessage() + "; received so far: " + spanNames(), e);
    }
  }

  /** The first span named {@code name}, waiting at most 10 seconds. */
  public ReceivedSpan awaitSpan(String name) {
    return awaitSpans(s -> s.name().equals(name), 1, Duration.ofSeconds(10)).get(0);
  }

  /** Waits until at least one received log record matches, at most {@code timeout}. */
  public List<ReceivedLog> awaitLogs(Predicate<ReceivedLog> match, Duration timeout) {
    return Await.value(
        "a matching log record",
        timeout,
        () -> logs.stream().filter(match).collect(Collectors.toList()),
        found -> !found.isEmpty());
  }

  private List<String> spanNames() {
    return spans.stream().map(ReceivedSpan::name).collect(Collectors.toList());
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
