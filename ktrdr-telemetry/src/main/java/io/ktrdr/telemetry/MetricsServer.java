package io.ktrdr.telemetry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.HttpExchangeAdapter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone {@code /metrics} endpoint on its own port ({@code KTRDR_METRICS_PORT}), for
 * processes without an HTTP server of their own (batch jobs, CLI runs, queue consumers). Built on
 * the JDK's HTTP server. Every thread it starts is a daemon (the JDK's dispatcher thread inherits
 * that from the thread that starts the server), so it never keeps a JVM alive; {@link #close()}
 * waits only for scrapes in progress.
 */
final class MetricsServer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(MetricsServer.class);
  private static final byte[] NOT_FOUND =
      "Not Found: metrics are served at /metrics\n".getBytes(StandardCharsets.UTF_8);
  private static final Duration SCRAPE_GRACE = Duration.ofSeconds(1);

  private final HttpServer server;
  private final ExecutorService executor;
  private final InFlight inFlight;

  private MetricsServer(HttpServer server, ExecutorService executor, InFlight inFlight) {
    this.server = server;
    this.executor = executor;
    this.inFlight = inFlight;
  }

  /** Scrapes being answered; {@link #close()} waits for them, not for a fixed delay. */
  private static final class InFlight {
    private int count;

    synchronized void enter() {
      count++;
    }

    synchronized void exit() {
      count--;
      notifyAll();
    }

    synchronized void awaitNone(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      long left = timeout.toNanos();
      while (count > 0 && left > 0) {
        TimeUnit.NANOSECONDS.timedWait(this, left);
        left = deadline - System.nanoTime();
      }
    }
  }

  /**
   * Binds {@code host:port} (0 picks a free port) and serves {@code handler} with {@code threads}
   * daemon threads.
   *
   * @throws UncheckedIOException naming the address when it cannot bind (port in use, unknown host)
   */
  static MetricsServer start(MetricsHandler handler, String host, int port, int threads) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 16);
    } catch (IOException | RuntimeException e) {
      throw new UncheckedIOException(
          new IOException(
              "Cannot start the metrics server on " + host + ":" + port + ": " + e.getMessage(),
              e));
    }
    AtomicInteger threadNumber = new AtomicInteger();
    ExecutorService executor =
        Executors.newFixedThreadPool(
            threads,
            runnable -> {
              Thread thread =
                  new Thread(runnable, "ktrdr-metrics-server-" + threadNumber.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    server.setExecutor(executor);
    InFlight inFlight = new InFlight();
    server.createContext(
        "/",
        exchange -> {
          inFlight.enter();
          try {
            serve(handler, exchange);
          } finally {
            inFlight.exit();
          }
        });
    startAsDaemon(server);
    MetricsServer result = new MetricsServer(server, executor, inFlight);
    logger.info("Serving metrics at http://{}:{}/metrics", result.host(), result.port());
    return result;
  }

  /**
   * The JDK names its dispatcher thread itself and makes it a daemon only if its creator is one.
   */
  private static void startAsDaemon(HttpServer server) {
    AtomicReference<RuntimeException> failure = new AtomicReference<>();
    Thread starter =
        new Thread(
            () -> {
              try {
                server.start();
              } catch (RuntimeException e) {
                failure.set(e);
              }
            },
            "ktrdr-metrics-server-start");
    starter.setDaemon(true);
    starter.start();
    try {
      starter.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.stop(0);
      throw new IllegalStateException("Interrupted while starting the metrics server", e);
    }
    if (failure.get() != null) {
      throw failure.get();
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  String host() {
    return server.getAddress().getHostString();
  }

  /**
   * Stops accepting connections, lets scrapes in progress finish (at most one second), and stops.
   * Returns at once when no scrape is in progress.
   */
  @Override
  public void close() {
    try {
      inFlight.awaitNone(SCRAPE_GRACE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server.stop(0);
    executor.shutdownNow();
  }

  private static void serve(MetricsHandler handler, HttpExchange exchange) throws IOException {
    if (!"/metrics".equals(exchange.getRequestURI().getPath())) {
      try (exchange) {
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(404, NOT_FOUND.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(NOT_FOUND);
        }
      }
      return;
    }
    handler.handle(new HttpExchangeAdapter(exchange));
  }
}
