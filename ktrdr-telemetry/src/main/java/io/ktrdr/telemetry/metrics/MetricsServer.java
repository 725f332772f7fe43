package io.ktrdr.telemetry.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.HttpExchangeAdapter;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A standalone {@code /metrics} endpoint on its own port, for processes without an HTTP server of
 * their own (batch jobs, CLI runs, queue consumers). Built on the JDK's HTTP server; binds to
 * {@code 127.0.0.1} unless told otherwise.
 *
 * <pre>{@code
 * try (MetricsServer server = MetricsServer.builder(telemetry.metricsHandler()).port(9464).start()) {
 *   runBatchJob();
 * }
 * }</pre>
 *
 * <p>Any other path answers {@code 404}.
 */
public final class MetricsServer implements Closeable {
  private static final Logger logger = LoggerFactory.getLogger(MetricsServer.class);
  private static final byte[] NOT_FOUND =
      "Not Found: metrics are served at /metrics\n".getBytes(StandardCharsets.UTF_8);

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Starts building a server that serves {@code handler}. */
  public static Builder builder(MetricsHandler handler) {
    return new Builder(handler);
  }

  /** The port the server listens on (the real one when the builder asked for port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The address the server is bound to. */
  public String host() {
    return server.getAddress().getHostString();
  }

  /** Stops accepting connections and waits at most one second for scrapes in progress. */
  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
  }

  /** Options of a {@link MetricsServer}. */
  public static final class Builder {
    private final MetricsHandler handler;
    private String host = "127.0.0.1";
    private int port = 9464;
    private int threads = 2;

    private Builder(MetricsHandler handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
    }

    /**
     * The address to bind. Default {@code 127.0.0.1}: only this machine can scrape. Use {@code
     * 0.0.0.0} in a container.
     */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port. Default {@code 9464} (OpenTelemetry's Prometheus port); 0 picks a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0-65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /** Threads serving scrapes. Default 2. */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, was " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * Binds and starts the server.
     *
     * @throws UncheckedIOException naming the address when it cannot bind (port in use, unknown
     *     host)
     */
    public MetricsServer start() {
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
      server.createContext("/", exchange -> serve(handler, exchange));
      server.start();
      MetricsServer result = new MetricsServer(server, executor);
      logger.info("Serving metrics at http://{}:{}/metrics", result.host(), result.port());
      return result;
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
}
