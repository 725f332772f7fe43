package io.ktrdr.examples.support;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
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
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;

/**
 * A minimal OTLP/HTTP receiver on {@code 127.0.0.1} and a free port: it decodes {@code POST
 * /v1/traces} and {@code POST /v1/logs} ({@code application/x-protobuf}, optionally gzip) and keeps
 * the spans and log records. Point an example at {@link #endpoint()} through {@code
 * OTEL_EXPORTER_OTLP_ENDPOINT}.
 */
public final class OtlpReceiver implements AutoCloseable {
  /** A received span, ids in lower-case hex (parent empty for a root span). */
  public record ReceivedSpan(
      String serviceName,
      String name,
      String kind,
      String traceId,
      String spanId,
      String parentSpanId,
      Map<String, String> attributes) {}

  /** A received log record: its body as text, ids in lower-case hex (empty outside a span). */
  public record ReceivedLogRecord(
      String serviceName, String severityText, String body, String traceId, String spanId) {}

  private static final HexFormat HEX = HexFormat.of();

  private final HttpServer server;
  private final List<ReceivedSpan> spans = new ArrayList<>();
  private final List<ReceivedLogRecord> logRecords = new ArrayList<>();

  private OtlpReceiver(HttpServer server) {
    this.server = server;
  }

  /** Starts a receiver on a free loopback port. */
  public static OtlpReceiver start() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      OtlpReceiver receiver = new OtlpReceiver(server);
      server.createContext("/v1/traces", receiver::receive);
      server.createContext("/v1/logs", receiver::receiveLogs);
      server.start();
      return receiver;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start the OTLP receiver", e);
    }
  }

  /** The base URL, for {@code OTEL_EXPORTER_OTLP_ENDPOINT}. */
  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void receive(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body(exchange));
      List<ReceivedSpan> received = new ArrayList<>();
      for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
        String service =
            attributes(resourceSpans.getResource().getAttributesList())
                .getOrDefault("service.name", "");
        for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
          for (Span span : scopeSpans.getSpansList()) {
            received.add(
                new ReceivedSpan(
                    service,
                    span.getName(),
                    span.getKind().name().replace("SPAN_KIND_", ""),
                    hex(span.getTraceId()),
                    hex(span.getSpanId()),
                    hex(span.getParentSpanId()),
                    attributes(span.getAttributesList())));
          }
        }
      }
      synchronized (spans) {
        spans.addAll(received);
      }
      respond(exchange, ExportTraceServiceResponse.getDefaultInstance().toByteArray());
    }
  }

  private void receiveLogs(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      ExportLogsServiceRequest request = ExportLogsServiceRequest.parseFrom(body(exchange));
      List<ReceivedLogRecord> received = new ArrayList<>();
      for (ResourceLogs resourceLogs : request.getResourceLogsList()) {
        String service =
            attributes(resourceLogs.getResource().getAttributesList())
                .getOrDefault("service.name", "");
        for (ScopeLogs scopeLogs : resourceLogs.getScopeLogsList()) {
          for (LogRecord record : scopeLogs.getLogRecordsList()) {
            received.add(
                new ReceivedLogRecord(
                    service,
                    record.getSeverityText(),
                    record.getBody().getStringValue(),
                    hex(record.getTraceId()),
                    hex(record.getSpanId())));
          }
        }
      }
      synchronized (logRecords) {
        logRecords.addAll(received);
      }
      respond(exchange, ExportLogsServiceResponse.getDefaultInstance().toByteArray());
    }
  }

  private static InputStream body(HttpExchange exchange) throws IOException {
    InputStream body = exchange.getRequestBody();
    if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
      body = new GZIPInputStream(body);
    }
    return body;
  }

  private static void respond(HttpExchange exchange, byte[] response) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
    exchange.sendResponseHeaders(200, response.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(response);
    }
  }

  private static String hex(ByteString bytes) {
    return HEX.formatHex(bytes.toByteArray());
  }

  private static Map<String, String> attributes(List<KeyValue> keyValues) {
    Map<String, String> result = new LinkedHashMap<>();
    for (KeyValue keyValue : keyValues) {
      var value = keyValue.getValue();
      String text =
          switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case INT_VALUE -> Long.toString(value.getIntValue());
            case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
            case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
            default -> value.toString().strip();
          };
      result.put(keyValue.getKey(), text);
    }
    return result;
  }

  /** The spans received so far. */
  public List<ReceivedSpan> spans() {
    synchronized (spans) {
      return List.copyOf(spans);
    }
  }

  /** Waits until at least {@code count} received spans match {@code filter}, and returns them. */
  public List<ReceivedSpan> awaitSpans(
      String what, int count, Predicate<ReceivedSpan> filter, Duration timeout) {
    return Deadline.await(
        count + " span(s) " + what + "; received so far: " + names(),
        timeout,
        () -> {
          List<ReceivedSpan> matching = spans().stream().filter(filter).toList();
          return matching.size() >= count ? Optional.of(matching) : Optional.empty();
        });
  }

  /** The log records received so far. */
  public List<ReceivedLogRecord> logRecords() {
    synchronized (logRecords) {
      return List.copyOf(logRecords);
    }
  }

  /** Waits until at least one received log record matches {@code filter}, and returns them. */
  public List<ReceivedLogRecord> awaitLogRecords(
      String what, Predicate<ReceivedLogRecord> filter, Duration timeout) {
    return Deadline.await(
        "a log record " + what,
        timeout,
        () -> {
          List<ReceivedLogRecord> matching = logRecords().stream().filter(filter).toList();
          return matching.isEmpty() ? Optional.empty() : Optional.of(matching);
        });
  }

  private String names() {
    return spans().stream().map(ReceivedSpan::name).collect(Collectors.joining(", ", "[", "]"));
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
