package io.ktrdr.app.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
  private final List<JsonNode> held = new CopyOnWriteArrayList<>();
  private volatile Predicate<JsonNode> hold = n -> false;
  private volatile CountDownLatch release = new CountDownLatch(0);

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
              JsonNode notification = JSON.readTree(exchange.getRequestBody().readAllBytes());
              if (receiver.hold.test(notification)) {
                // In flight: the sender waits for the answer (bounded), and the notification
                // does not count as delivered.
                receiver.held.add(notification);
                receiver.release.await(30, TimeUnit.SECONDS);
                return;
              }
              receiver.notifications.add(notification);
              exchange.sendResponseHeaders(200, -1);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      // One thread per request: a held notification must not hold up the others.
      server.setExecutor(
          Executors.newCachedThreadPool(
              task -> {
                Thread thread = new Thread(task, "webhook-receiver");
                thread.setDaemon(true);
                return thread;
              }));
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

  /**
   * Holds every notification matching {@code matching} unanswered until {@link #release()}, as a
   * slow receiver would: its sender has it in flight. Held ones are not {@link #notifications()}.
   */
  public void hold(Predicate<JsonNode> matching) {
    release = new CountDownLatch(1);
    hold = matching;
  }

  /** The notifications held so far. */
  public List<JsonNode> held() {
    return List.copyOf(held);
  }

  /** Stops holding; held requests end without an answer. */
  public void release() {
    hold = n -> false;
    release.countDown();
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
    release();
    server.stop(0);
  }
}
