package io.ktrdr.app;

import static io.ktrdr.app.testing.Cluster.asWorker;
import static io.ktrdr.app.testing.Cluster.send;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.ktrdr.app.testing.Cluster;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A worker may register the moment the API's port opens. Javalin logs "Listening on ..." inside
 * {@code app.start()}, after the port is bound and before {@code start()} returns: holding the
 * starting thread there opens the window deterministically, and a registration is sent in it.
 */
class WorkerRegistrationAtStartTest {
  private static final Pattern LISTENING = Pattern.compile("Listening on https?://[^:/]+:(\\d+)/");

  /** Holds the thread that logs "Listening on" until released, and hands over the port. */
  private static final class HoldAtListening extends AppenderBase<ILoggingEvent> {
    final CompletableFuture<Integer> port = new CompletableFuture<>();
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    protected void append(ILoggingEvent event) {
      Matcher matcher = LISTENING.matcher(event.getFormattedMessage());
      if (matcher.find() && !port.isDone()) {
        port.complete(Integer.parseInt(matcher.group(1)));
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  @Test
  void aWorkerRegisteringWhileTheApiStartsIsValidatedNotFailed() throws Exception {
    Logger javalin = (Logger) LoggerFactory.getLogger("io.javalin");
    HoldAtListening hold = new HoldAtListening();
    hold.start();
    // logback-test.xml keeps io.javalin at WARN: let its INFO start-up lines through meanwhile.
    ch.qos.logback.classic.Level level = javalin.getLevel();
    javalin.setLevel(ch.qos.logback.classic.Level.INFO);
    javalin.addAppender(hold);
    AtomicReference<Cluster> cluster = new AtomicReference<>();
    Thread starter = new Thread(() -> cluster.set(new Cluster(Map.of(), Map.of())), "api-start");
    starter.setDaemon(true);
    try {
      starter.start();
      int port = hold.port.get(60, TimeUnit.SECONDS);
      String body =
          "{\"worker_id\":\"early-1\",\"worker_type\":\"training\",\"instance_id\":\"i-1\","
              + "\"url\":\"http://127.0.0.1:9\"}";
      HttpResponse<String> registered =
          send(
              "POST",
              "http://127.0.0.1:" + port + "/api/v1/workers/register",
              body,
              asWorker("early-1"));
      assertThat(registered.statusCode()).as(registered.body()).isEqualTo(200);

      // The API's own address is still refused, with the port it listens on.
      String self =
          "{\"worker_id\":\"early-2\",\"worker_type\":\"training\",\"instance_id\":\"i-2\","
              + "\"url\":\"http://127.0.0.1:"
              + port
              + "\"}";
      HttpResponse<String> refused =
          send(
              "POST",
              "http://127.0.0.1:" + port + "/api/v1/workers/register",
              self,
              asWorker("early-2"));
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
    } finally {
      hold.release.countDown();
      starter.join(60_000);
      javalin.detachAppender(hold);
      javalin.setLevel(level);
      if (cluster.get() != null) {
        cluster.get().close();
      }
    }
  }
}
