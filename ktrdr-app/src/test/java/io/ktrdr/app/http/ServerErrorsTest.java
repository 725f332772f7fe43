package io.ktrdr.app.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.javalin.Javalin;
import io.ktrdr.app.testing.MutableClock;
import io.opentelemetry.api.OpenTelemetry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Unexpected failures are logged once per cause and minute with a count of the repeats; client
 * errors are not logged at ERROR. The app is built with the same {@link ServerSetup} the API and
 * the workers use, plus routes that fail on purpose (no real route fails since every input is
 * checked).
 */
class ServerErrorsTest {
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final MutableClock clock = new MutableClock();
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private final Logger appLogger = (Logger) LoggerFactory.getLogger("io.ktrdr.app");
  private Javalin app;

  @BeforeEach
  void start() {
    log.start();
    appLogger.addAppender(log);
    // The events are asserted from the list; a thousand stack traces on the console help nobody.
    appLogger.setAdditive(false);
    RouteCatalog catalog = new RouteCatalog();
    catalog.get(
        "/boom",
        RouteCatalog.doc("test", "always fails the same way").access(Access.PUBLIC),
        ctx -> {
          throw new IllegalStateException("the same bug");
        });
    catalog.get(
        "/other",
        RouteCatalog.doc("test", "fails another way").access(Access.PUBLIC),
        ctx -> {
          throw new UnsupportedOperationException("another bug");
        });
    // Two bugs that fail inside the same JDK method (the top frame of both stack traces).
    catalog.get(
        "/items/{id}",
        RouteCatalog.doc("test", "parses its id badly").access(Access.PUBLIC),
        ctx -> ctx.result(Integer.toString(Integer.parseInt(ctx.pathParam("id")))));
    catalog.get(
        "/count",
        RouteCatalog.doc("test", "parses a header badly").access(Access.PUBLIC),
        ctx -> ctx.result(Integer.toString(Integer.parseInt(String.valueOf(ctx.header("X-N"))))));
    catalog.get(
        "/client",
        RouteCatalog.doc("test", "refuses the client").access(Access.PUBLIC),
        ctx -> {
          throw ApiException.badRequest("n must be an integer from 1 to 5: " + ctx.queryParam("n"));
        });
    Credentials credentials =
        new Credentials(
            "server-errors-test-secret-0123456789",
            Optional.empty(),
            Optional.empty(),
            OpenTelemetry.noop().getMeter("test"));
    RequestGuard guard = new RequestGuard(credentials, List.of(), List.of());
    app =
        Javalin.create(
                config ->
                    ServerSetup.configure(config, catalog, guard, Duration.ofSeconds(10), clock))
            .start("127.0.0.1", 0);
  }

  @AfterEach
  void stop() {
    app.stop();
    appLogger.detachAppender(log);
    appLogger.setAdditive(true);
  }

  private int get(String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
            .timeout(Duration.ofSeconds(10))
            .build();
    return CLIENT.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** The status of a request line sent as bytes (a client library refuses malformed ones). */
  private int raw(String requestLine) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", app.port())) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              (requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      String head =
          new String(
              socket.getInputStream().readNBytes(12), java.nio.charset.StandardCharsets.ISO_8859_1);
      return Integer.parseInt(head.substring(9, 12));
    }
  }

  private List<ILoggingEvent> stackTraces() {
    return List.copyOf(log.list).stream().filter(e -> e.getThrowableProxy() != null).toList();
  }

  private static String cause(ILoggingEvent event) {
    return event.getKeyValuePairs().stream()
        .filter(pair -> pair.key.equals("cause"))
        .findFirst()
        .orElseThrow()
        .value
        .toString();
  }

  private static Object repeats(ILoggingEvent event) {
    return event.getKeyValuePairs().stream()
        .filter(pair -> pair.key.equals("repeats"))
        .findFirst()
        .orElseThrow()
        .value;
  }

  @Test
  void twoThousandIdenticalFailuresLogOneStackTraceThenTheCount() throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> answers =
          clients.invokeAll(java.util.Collections.nCopies(2000, () -> get("/boom")));
      for (Future<Integer> answer : answers) {
        assertThat(answer.get()).isEqualTo(500);
      }
    } finally {
      clients.shutdownNow();
    }
    // Client errors in between: never at ERROR, never a stack trace.
    for (int i = 0; i < 20; i++) {
      assertThat(get("/client?n=9")).isEqualTo(400);
      assertThat(get("/missing")).isEqualTo(404);
      assertThat(raw("GET /client?n=%ZZ%C0 HTTP/1.1")).isBetween(400, 499);
    }
    assertThat(List.copyOf(log.list))
        .filteredOn(e -> e.getLevel() == Level.ERROR)
        .extracting(ILoggingEvent::getFormattedMessage)
        .containsExactly("Request failed: GET /boom");
    assertThat(stackTraces()).hasSize(1);
    ILoggingEvent first = stackTraces().get(0);
    assertThat(first.getLevel()).isEqualTo(Level.ERROR);
    assertThat(first.getFormattedMessage()).isEqualTo("Request failed: GET /boom");
    assertThat(first.getThrowableProxy().getMessage()).contains("the same bug");
    assertThat(repeats(first)).isEqualTo(0L);

    // Within the minute, still nothing; after it, one more report that carries the count.
    clock.advance(Duration.ofSeconds(59));
    assertThat(get("/boom")).isEqualTo(500);
    assertThat(stackTraces()).hasSize(1);
    clock.advance(Duration.ofSeconds(2));
    assertThat(get("/boom")).isEqualTo(500);
    assertThat(stackTraces()).hasSize(2);
    ILoggingEvent second = stackTraces().get(1);
    assertThat(repeats(second)).isEqualTo(2000L);
    assertThat(second.getFormattedMessage())
        .isEqualTo(
            "Request failed: GET /boom (this cause failed 2000 more requests since its last"
                + " report; their stack traces are not logged)");
  }

  @Test
  void eachDistinctCauseGetsItsOwnStackTrace() throws Exception {
    for (int i = 0; i < 50; i++) {
      assertThat(get("/boom")).isEqualTo(500);
      assertThat(get("/other")).isEqualTo(500);
    }
    assertThat(stackTraces()).hasSize(2);
    assertThat(stackTraces())
        .extracting(e -> e.getThrowableProxy().getMessage())
        .anySatisfy(m -> assertThat(m).contains("the same bug"))
        .anySatisfy(m -> assertThat(m).contains("another bug"));
  }

  @Test
  void twoBugsFailingInsideTheSameJdkMethodEachGetTheirStackTrace() throws Exception {
    for (int i = 0; i < 20; i++) {
      assertThat(get("/items/x" + i)).isEqualTo(500);
      assertThat(get("/count")).isEqualTo(500);
    }
    assertThat(stackTraces()).hasSize(2);
    assertThat(stackTraces())
        .extracting(ILoggingEvent::getFormattedMessage)
        .anySatisfy(m -> assertThat(m).startsWith("Request failed: GET /items/x"))
        .anySatisfy(m -> assertThat(m).isEqualTo("Request failed: GET /count"));
    // The key names our frame (not Integer.parseInt's) and the route template, not the path.
    assertThat(stackTraces())
        .extracting(ServerErrorsTest::cause)
        .anySatisfy(
            c ->
                assertThat(c)
                    .startsWith("java.lang.NumberFormatException at io.ktrdr.app.http.")
                    .endsWith(" on /items/{id}"))
        .anySatisfy(c -> assertThat(c).endsWith(" on /count"));
  }

  @Test
  void beyondTheBoundTheOldestCauseIsForgottenAndTheOthersKeepTheirWindow() {
    ServerErrors errors = new ServerErrors(clock);
    IllegalStateException error = new IllegalStateException("one bug on many routes");
    for (int i = 0; i < ServerErrors.MAX_CAUSES; i++) {
      errors.failed("GET", "/r" + i, "/r" + i, error);
    }
    assertThat(stackTraces()).hasSize(ServerErrors.MAX_CAUSES);
    // One cause more: the oldest (/r0) is forgotten, /r1 is still within its window.
    errors.failed("GET", "/new", "/new", error);
    errors.failed("GET", "/r1", "/r1", error);
    assertThat(stackTraces()).hasSize(ServerErrors.MAX_CAUSES + 1);
    errors.failed("GET", "/r0", "/r0", error);
    assertThat(stackTraces()).hasSize(ServerErrors.MAX_CAUSES + 2);
  }
}
