package io.ktrdr.app.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real HTTP server on a free loopback port that records every Alertmanager webhook payload it
 * receives (one per notification) and answers 200.
 */
public final class WebhookReceiver implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final HttpServer server;
  private final List<JsonNode> notifications = new CopyOnWriteArrayList<>();

  private WebhookReceiver(HttpServer server) {
    this.server = server;
  }

  public static WebhookReceiver start() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      WebhookReceiver receiver = new WebhookReceiver(server);
      server.createContext(
          "/",
          exchange -> {
            try (exchange) {
              receiver.notifications.add(JSON.readTree(exchange.getRequestBody().readAllBytes()));
              exchange.sendResponseHeaders(200, -1);
            }
          });
      server.start();
      return receiver;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/alerts";
  }

  public List<JsonNode> notifications() {
    return List.copyOf(notifications);
  }

  /** Waits until a notification matching {@code condition} arrived; returns it. */
  public JsonNode await(Predicate<JsonNode> condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (JsonNode notification : notifications) {
        if (condition.test(notification)) {
          return notification;
        }
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError(
        "no notification with " + what + " within " + timeout + "; got " + notifications);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
