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
    AtomicLong bytes = new AtomicLong();
    HttpServer server =
        HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 64);
    server.createContext(
        "/",
        exchange -> {
          try (exchange;
              InputStream in = exchange.getRequestBody()) {
            bytes.addAndGet(in.transferTo(java.io.OutputStream.nullOutputStream()));
            exchange.sendResponseHeaders(200, -1);
          }
        });
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.start();
    System.out.println("otlp-sink on " + args[0]);
  }
}
