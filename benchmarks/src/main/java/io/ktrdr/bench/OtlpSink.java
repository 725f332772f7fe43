package io.ktrdr.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * A local OTLP/HTTP collector for the load test: accepts every export, reads its body into a
 * per-thread buffer without decoding it, answers 200 with an empty body (an empty export response
 * in protobuf). {@code GET /stats} answers {@code <exports> <bytes>} received so far, so the load
 * test can tell how much each set-up exported.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.ktrdr.bench.OtlpSink <port>}.
 */
public final class OtlpSink {
  static final String STATS_PATH = "/stats";
  private static final int BUFFER_BYTES = 64 * 1024;

  private final LongAdder exports = new LongAdder();
  private final LongAdder bytes = new LongAdder();
  // One buffer per sink thread: reading an export allocates nothing the sink could avoid (the
  // JDK server's own per-exchange objects remain).
  private final ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[BUFFER_BYTES]);

  private OtlpSink() {}

  public static void main(String[] args) throws IOException {
    start(Integer.parseInt(args[0]));
    System.out.println("otlp-sink on " + args[0]);
  }

  /** Starts a sink on {@code port} of 127.0.0.1 (0 picks one); its threads are daemons. */
  public static HttpServer start(int port) throws IOException {
    OtlpSink sink = new OtlpSink();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
    server.createContext("/", sink::export);
    server.createContext(STATS_PATH, sink::stats);
    server.setExecutor(
        Executors.newFixedThreadPool(
            2,
            runnable -> {
              Thread thread = new Thread(runnable, "otlp-sink");
              thread.setDaemon(true);
              return thread;
            }));
    server.start();
    return server;
  }

  private void export(HttpExchange exchange) throws IOException {
    try (exchange;
        InputStream in = exchange.getRequestBody()) {
      byte[] buffer = buffers.get();
      long total = 0;
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        total += n;
      }
      exports.increment();
      bytes.add(total);
      exchange.sendResponseHeaders(200, -1);
    }
  }

  private void stats(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = (exports.sum() + " " + bytes.sum() + "\n").getBytes(StandardCharsets.US_ASCII);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
