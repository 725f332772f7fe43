package io.ktrdr.telemetry.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An OTLP/HTTP collector on loopback that misbehaves on request: answers 429 or 503, holds requests
 * without answering (a tarpit), or answers 200 with a body that is not an OTLP response. It counts
 * the spans and log records it really accepted (only in {@link Mode#OK}), so that a test can check
 * that everything sent is either delivered or counted as dropped.
 */
public final class FaultyCollector implements AutoCloseable {

  /** How the collector answers. */
  public enum Mode {
    OK,
    TOO_MANY_REQUESTS,
    UNAVAILABLE,
    TARPIT,
    GARBAGE_200
  }

  private static final long TARPIT_MAX_SECONDS = 30;

  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicReference<Mode> mode = new AtomicReference<>(Mode.OK);
  private final AtomicReference<CountDownLatch> tarpit =
      new AtomicReference<>(new CountDownLatch(1));
  private final AtomicLong spans = new AtomicLong();
  private final AtomicLong logs = new AtomicLong();
  private final Map<Mode, AtomicLong> requests = new ConcurrentHashMap<>();

  private FaultyCollector(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Starts on a free loopback port, answering {@link Mode#OK}. */
  public static FaultyCollector start() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
      ExecutorService executor =
          Executors.newCachedThreadPool(
              r -> {
                Thread thread = new Thread(r, "faulty-collector");
                thread.setDaemon(true);
                return thread;
              });
      FaultyCollector collector = new FaultyCollector(server, executor);
      server.createContext("/v1/traces", exchange -> collector.handle(exchange, true));
      server.createContext("/v1/logs", exchange -> collector.handle(exchange, false));
      server.setExecutor(executor);
      server.start();
      return collector;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The base URL to give as {@code OTEL_EXPORTER_OTLP_ENDPOINT}. */
  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** From now on answers as {@code next}; requests held in the tarpit are let go. */
  public void mode(Mode next) {
    Mode previous = mode.getAndSet(next);
    if (previous == Mode.TARPIT && next != Mode.TARPIT) {
      tarpit.getAndSet(new CountDownLatch(1)).countDown();
    }
  }

  /** Spans accepted with a real OTLP response. */
  public long spans() {
    return spans.get();
  }

  /** Log records accepted with a real OTLP response. */
  public long logs() {
    return logs.get();
  }

  /** Requests (spans and logs) answered in {@code answeredAs}. */
  public long requests(Mode answeredAs) {
    AtomicLong count = requests.get(answeredAs);
    return count == null ? 0 : count.get();
  }

  private void handle(HttpExchange exchange, boolean traces) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      Mode current = mode.get();
      requests.computeIfAbsent(current, m -> new AtomicLong()).incrementAndGet();
      switch (current) {
        case OK:
          if (traces) {
            long count = 0;
            for (ResourceSpans r :
                ExportTraceServiceRequest.parseFrom(body).getResourceSpansList()) {
              for (ScopeSpans s : r.getScopeSpansList()) {
                count += s.getSpansCount();
              }
            }
            spans.addAndGet(count); // before answering: the exporter may count it delivered at once
            respond(exchange, 200, ExportTraceServiceResponse.getDefaultInstance().toByteArray());
          } else {
            long count = 0;
            for (ResourceLogs r : ExportLogsServiceRequest.parseFrom(body).getResourceLogsList()) {
              for (ScopeLogs s : r.getScopeLogsList()) {
                count += s.getLogRecordsCount();
              }
            }
            logs.addAndGet(count);
            respond(exchange, 200, ExportLogsServiceResponse.getDefaultInstance().toByteArray());
          }
          return;
        case TOO_MANY_REQUESTS:
          respond(exchange, 429, new byte[0]);
          return;
        case UNAVAILABLE:
          respond(exchange, 503, new byte[0]);
          return;
        case TARPIT:
          try {
            tarpit.get().await(TARPIT_MAX_SECONDS, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          respond(exchange, 503, new byte[0]);
          return;
        case GARBAGE_200:
          exchange.getResponseHeaders().set("Content-Type", "text/html");
          respond(
              exchange,
              200,
              "<html><body>It works!</body></html>".getBytes(StandardCharsets.UTF_8));
          return;
      }
    }
  }

  private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
    if (!exchange.getResponseHeaders().containsKey("Content-Type")) {
      exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    tarpit.get().countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
