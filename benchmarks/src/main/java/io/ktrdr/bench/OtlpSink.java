package io.ktrdr.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local OTLP/HTTP collector for the load test: accepts every export, reads and discards the body,
 * answers 200. Usage: {@code java -cp benchmarks.jar io.ktrdr.bench.OtlpSink <port>}.
 */
public final class OtlpSink {
  private OtlpSink() {}

  public static void main(String[] args) throws IOException {
    start(Integer.parseInt(args[0]));
    System.out.println("otlp-sink on " + args[0]);
  }

  /** Starts a sink on {@code port} of 127.0.0.1 (0 picks one); its threads are daemons. */
  public static HttpServer start(int port) throws IOException {
    AtomicLong bytes = new AtomicLong();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
    server.createContext(
        "/",
        exchange -> {
          try (exchange;
              InputStream in = exchange.getRequestBody()) {
            bytes.addAndGet(in.transferTo(java.io.OutputStream.nullOutputStream()));
            exchange.sendResponseHeaders(200, -1);
          }
        });
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
}
