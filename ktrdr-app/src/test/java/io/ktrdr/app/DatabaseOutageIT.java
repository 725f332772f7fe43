package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.AppProcess;
import io.ktrdr.app.testing.PostgresProcess;
import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.telemetry.testing.Await;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The API on a real PostgreSQL that is stopped for about 8 s while 20 clients read bars and start
 * backtests, then started again: no 500 at all (only 2xx and 503 with {@code Retry-After}), a burst
 * of 250 concurrent requests during the outage answered 503 at once, every operation accepted runs
 * to completion, liveness fast throughout, readiness and {@code ktrdr_db_up} follow the database,
 * and the API serves again within seconds of the database's return.
 */
class DatabaseOutageIT {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern DB_UP =
      Pattern.compile("^ktrdr_db_up(?:\\{[^}]*\\})? (\\S+)", Pattern.MULTILINE);
  private static final Pattern THREADS_PEAK =
      Pattern.compile("^jvm_threads_peak(?:\\{[^}]*\\})? (\\S+)", Pattern.MULTILINE);
  private static final int CLIENTS = 20;
  private static final int BURST = 250;
  private static final Duration BASELINE = Duration.ofSeconds(5);
  private static final Duration OUTAGE = Duration.ofSeconds(8);
  private static final Duration AFTER = Duration.ofSeconds(8);

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  /** One answer of the load: when (ms since the load began), what, and whether it was right. */
  private record Answer(long atMs, String what, int status, String retryAfter, String body) {}

  /** One liveness or readiness sample. */
  private record Sample(long atMs, int status, long millis) {}

  @Test
  void aDatabaseOutageIsA503AndNothingIsLost() throws Exception {
    Path directory = Files.createTempDirectory("ktrdr-db-outage-");
    try (PostgresProcess postgres = PostgresProcess.start()) {
      int apiPort = PrometheusProcess.freePort();
      String base = "http://127.0.0.1:" + apiPort;
      Path passwordFile = directory.resolve("db-password");
      Files.writeString(passwordFile, PostgresProcess.PASSWORD + "\n");
      Map<String, String> apiEnv = new HashMap<>();
      apiEnv.put("KTRDR_PORT", Integer.toString(apiPort));
      apiEnv.put("KTRDR_DATABASE_URL", postgres.jdbcUrl());
      apiEnv.put("KTRDR_DATABASE_USER", PostgresProcess.USER);
      apiEnv.put("KTRDR_DATABASE_PASSWORD_FILE", passwordFile.toString());
      // A loaded test machine can be slow to answer a dispatch: that is not what is tested here.
      apiEnv.put("KTRDR_WORKER_REQUEST_TIMEOUT_MS", "15000");
      Map<String, String> workerEnv = new HashMap<>();
      workerEnv.put("KTRDR_ROLE", "worker");
      workerEnv.put("KTRDR_PORT", Integer.toString(PrometheusProcess.freePort()));
      workerEnv.put("KTRDR_API_URL", base);
      workerEnv.put("KTRDR_SIMULATION_STEP_DELAY_MS", "0");

      try (AppProcess api = AppProcess.start("api", apiEnv, directory);
          AppProcess worker = AppProcess.start("worker", workerEnv, directory)) {
        Await.until(
            "the API ready and a worker available",
            Duration.ofSeconds(60),
            () ->
                status(base + "/api/v1/health/ready") == 200
                    && body(base + "/api/v1/workers").contains("\"available\""));

        // Warm the API and the client up, so that the baseline below is not the JIT's.
        for (int i = 0; i < 100; i++) {
          status(base + "/api/v1/health");
          status(base + "/api/v1/data/symbols");
          status(base + "/api/v1/data/AAPL/1d?start=2024-06-01");
        }

        long started = System.nanoTime();
        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        List<Sample> health = Collections.synchronizedList(new ArrayList<>());
        List<Sample> readiness = Collections.synchronizedList(new ArrayList<>());
        List<long[]> dbUp = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS + 3);
        List<CompletableFuture<?>> tasks = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
          int client = i;
          tasks.add(
              CompletableFuture.runAsync(
                  () -> load(base, client, started, running, answers, accepted), pool));
        }
        tasks.add(
            CompletableFuture.runAsync(
                () -> sample(base + "/api/v1/health", 100, started, running, health), pool));
        tasks.add(
            CompletableFuture.runAsync(
                () -> sample(base + "/api/v1/health/ready", 200, started, running, readiness),
                pool));
        tasks.add(
            CompletableFuture.runAsync(
                () -> {
                  while (running.get()) {
                    OptionalDouble up = dbUp(base);
                    if (up.isPresent()) {
                      dbUp.add(new long[] {millisSince(started), (long) up.getAsDouble()});
                    }
                    pause(250);
                  }
                },
                pool));

        // One operation surely accepted before the outage (the load's own may all find the worker
        // busy), and the same burst as during the outage on a route without the database: the
        // reference for liveness latency.
        accepted.add(startAccepted(base));
        long cheapStart = millisSince(started);
        List<Answer> cheapBurst = burst(base + "/api/v1/data/timeframes", started);
        long cheapMillis = cheapBurst.stream().mapToLong(Answer::atMs).max().getAsLong();
        pause(Math.max(0, BASELINE.toMillis() - millisSince(started)));
        long threadsBefore = (long) gauge(base, THREADS_PEAK).orElseThrow();
        long stoppedAt = millisSince(started);
        postgres.stop();
        Await.until(
            "readiness to see the outage",
            Duration.ofSeconds(10),
            () -> status(base + "/api/v1/health/ready") == 503);
        List<Answer> burst = burst(base + "/api/v1/data/symbols", started);
        pause(Math.max(0, stoppedAt + OUTAGE.toMillis() - millisSince(started)));
        long threadsDuring = (long) gauge(base, THREADS_PEAK).orElseThrow();
        long restartedAt = millisSince(started);
        postgres.restart();
        long accepting = millisSince(started);
        accepted.add(startAccepted(base));
        pause(Math.max(0, accepting + AFTER.toMillis() - millisSince(started)));
        running.set(false);
        CompletableFuture.allOf(tasks.toArray(new CompletableFuture<?>[0]))
            .get(30, TimeUnit.SECONDS);
        pool.shutdownNow();

        // No 500 at all: only 2xx, and 503 with Retry-After.
        List<Answer> all = new ArrayList<>(answers);
        all.addAll(burst);
        assertThat(all).isNotEmpty();
        assertThat(all)
            .as("answers other than 2xx and 503")
            .filteredOn(a -> a.status() != 503 && (a.status() < 200 || a.status() > 299))
            .isEmpty();
        List<Answer> refused = all.stream().filter(a -> a.status() == 503).toList();
        assertThat(refused).as("503s during the outage").isNotEmpty();
        // A busy worker's 503 is the dispatcher's, not the database's.
        List<Answer> database =
            refused.stream().filter(a -> a.body().contains("database")).toList();
        assertThat(database)
            .isNotEmpty()
            .allSatisfy(a -> assertThat(a.retryAfter()).isEqualTo("1"));
        assertThat(refused)
            .allSatisfy(
                a ->
                    assertThat(JSON.readTree(a.body()).get("error").asString())
                        .isEqualTo("unavailable"));
        // Refused at once: the burst of 250 did not wait for the pool's connection timeout.
        assertThat(burst).hasSize(BURST).allSatisfy(a -> assertThat(a.status()).isEqualTo(503));
        assertThat(cheapBurst)
            .hasSize(BURST)
            .allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        long burstMillis = burst.stream().mapToLong(Answer::atMs).max().getAsLong();

        // Liveness answered, fast, throughout; compared with its own baseline under the same load.
        long baselineMax =
            health.stream()
                .filter(s -> s.atMs() >= cheapStart && s.atMs() < stoppedAt)
                .mapToLong(Sample::millis)
                .max()
                .orElse(0);
        long outageMax =
            health.stream()
                .filter(s -> s.atMs() >= stoppedAt && s.atMs() <= accepting + 2000)
                .mapToLong(Sample::millis)
                .max()
                .orElse(0);
        long overallMax = health.stream().mapToLong(Sample::millis).max().orElse(0);

        // Readiness: 503 while the database was down, 200 again after, within seconds.
        assertThat(readiness)
            .filteredOn(s -> s.atMs() > stoppedAt && s.atMs() < restartedAt)
            .extracting(Sample::status)
            .contains(503);
        long recoveredAt =
            readiness.stream()
                .filter(s -> s.atMs() > accepting && s.status() == 200)
                .mapToLong(Sample::atMs)
                .min()
                .orElse(Long.MAX_VALUE);
        long recovery = recoveredAt - accepting;
        System.out.printf(
            "DATABASE OUTAGE: %d answers, %d x 503 (%d from the database, %d the burst of %d, answered within %d"
                + " ms; on a route without the database %d ms), %d operations accepted and completed; /health max %d ms before the outage (with the same burst),"
                + " %d ms during it, %d ms overall (%d samples); readiness 200 again %d ms after"
                + " PostgreSQL accepted connections; peak threads %d before the outage, %d after the"
                + " burst%n",
            all.size(),
            refused.size(),
            database.size(),
            burst.size(),
            BURST,
            burstMillis,
            cheapMillis,
            accepted.size(),
            baselineMax,
            outageMax,
            overallMax,
            health.size(),
            recovery,
            threadsBefore,
            threadsDuring);
        System.out.printf(
            "DATABASE OUTAGE timeline: cheap burst at %d ms, PostgreSQL stopped at %d ms, restarted"
                + " at %d ms, accepting at %d ms; health samples not 200: %s%n",
            cheapStart,
            stoppedAt,
            restartedAt,
            accepting,
            health.stream().filter(x -> x.status() != 200).toList());
        assertThat(health).isNotEmpty().allSatisfy(x -> assertThat(x.status()).isEqualTo(200));
        assertThat(readiness.get(readiness.size() - 1).status()).isEqualTo(200);

        // ktrdr_db_up: 0 during the outage, 1 after.
        assertThat(dbUp).isNotEmpty();
        assertThat(dbUp)
            .filteredOn(p -> p[0] > stoppedAt && p[0] < restartedAt)
            .extracting(p -> p[1])
            .contains(0L);
        assertThat(dbUp(base)).hasValue(1.0);
        // The pool's own series, and the refusals counted by reason.
        String metrics = body(base + "/metrics");
        assertThat(metrics)
            .contains("db_client_connection_count{db_client_connection_pool_name=\"ktrdr-db\"")
            .contains("db_client_connection_pending_requests{")
            .contains("db_client_connection_max{")
            .contains("db_client_connection_wait_time_seconds_bucket{")
            .containsPattern("ktrdr_db_unavailable_total\\{[^}]*reason=\"circuit_open\"");

        // Every operation accepted, before, during or after, is stored and completes.
        assertThat(accepted).isNotEmpty();
        for (String id : accepted) {
          Await.until(
              "operation " + id + " completed",
              Duration.ofSeconds(60),
              () -> body(base + "/api/v1/operations/" + id).contains("\"completed\""));
        }

        String log = api.log();
        assertThat(log).doesNotContain("Request failed").doesNotContain(PostgresProcess.PASSWORD);
        assertThat(occurrences(log, "The database cannot be reached")).isEqualTo(1);

        // Requests did not park threads on the pool: 250 at once added far fewer than 250.
        assertThat(threadsDuring - threadsBefore).as("threads added by the burst").isLessThan(100);
        assertThat(recovery).as("recovery after the database returned, ms").isLessThan(8000);
        assertThat(outageMax)
            .as("/api/v1/health during the outage, ms (baseline %d ms)", baselineMax)
            .isLessThan(Math.max(100, 3 * baselineMax));
      }
    }
  }

  /** Starts a backtest, retrying while the worker is busy; its id. */
  private String startAccepted(String base) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/api/v1/backtests/start"))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"symbol\":\"MSFT\"}"))
            .build();
    Answer answer =
        Await.value(
            "a backtest accepted",
            Duration.ofSeconds(30),
            () -> send(request, "start", System.nanoTime()),
            a -> a.status() == 202);
    return JSON.readTree(answer.body()).get("operation_id").asString();
  }

  private void load(
      String base,
      int client,
      long started,
      AtomicBoolean running,
      ConcurrentLinkedQueue<Answer> answers,
      Set<String> accepted) {
    for (int i = 0; running.get() && i < 100_000; i++) {
      String what;
      HttpRequest.Builder request;
      switch ((client + i) % 6) {
        case 0 -> {
          what = "POST /backtests/start";
          request =
              HttpRequest.newBuilder(URI.create(base + "/api/v1/backtests/start"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"symbol\":\"AAPL\"}"));
        }
        case 1, 3 -> {
          what = "GET /data/AAPL/1d";
          request =
              HttpRequest.newBuilder(URI.create(base + "/api/v1/data/AAPL/1d?start=2024-06-01"));
        }
        case 2, 4 -> {
          what = "GET /data/symbols";
          request = HttpRequest.newBuilder(URI.create(base + "/api/v1/data/symbols"));
        }
        default -> {
          what = "GET /operations";
          request = HttpRequest.newBuilder(URI.create(base + "/api/v1/operations?limit=5"));
        }
      }
      Answer answer = send(request.timeout(Duration.ofSeconds(10)).build(), what, started);
      answers.add(answer);
      if (answer.status() == 202) {
        accepted.add(JSON.readTree(answer.body()).get("operation_id").asString());
      }
      pause(100);
    }
  }

  private Answer send(HttpRequest request, String what, long started) {
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      return new Answer(
          millisSince(started),
          what,
          response.statusCode(),
          response.headers().firstValue("Retry-After").orElse(null),
          response.body());
    } catch (IOException e) {
      return new Answer(millisSince(started), what, -1, null, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(millisSince(started), what, -1, null, "interrupted");
    }
  }

  /** {@link #BURST} requests at once; each answer's time is ms from the burst's start. */
  private List<Answer> burst(String url, long started) throws Exception {
    long burstStart = System.nanoTime();
    List<CompletableFuture<Answer>> futures = new ArrayList<>();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build();
    for (int i = 0; i < BURST; i++) {
      futures.add(
          client
              .sendAsync(request, HttpResponse.BodyHandlers.ofString())
              .handle(
                  (response, failure) ->
                      response == null
                          ? new Answer(millisSince(burstStart), "burst", -1, null, "" + failure)
                          : new Answer(
                              millisSince(burstStart),
                              "burst",
                              response.statusCode(),
                              response.headers().firstValue("Retry-After").orElse(null),
                              response.body())));
    }
    List<Answer> result = new ArrayList<>();
    for (CompletableFuture<Answer> future : futures) {
      result.add(future.get(30, TimeUnit.SECONDS));
    }
    return result;
  }

  private void sample(
      String url, long everyMillis, long started, AtomicBoolean running, List<Sample> samples) {
    // A generous timeout: a sample that takes long is measured (and judged), not lost.
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15)).build();
    for (int i = 0; running.get() && i < 10_000; i++) {
      long at = millisSince(started);
      long before = System.nanoTime();
      Answer answer = send(request, url, started);
      samples.add(new Sample(at, answer.status(), millisSince(before)));
      pause(everyMillis);
    }
  }

  private OptionalDouble dbUp(String base) {
    return gauge(base, DB_UP);
  }

  private OptionalDouble gauge(String base, Pattern pattern) {
    Matcher matcher = pattern.matcher(body(base + "/metrics"));
    return matcher.find()
        ? OptionalDouble.of(Double.parseDouble(matcher.group(1)))
        : OptionalDouble.empty();
  }

  private int status(String url) {
    return send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            url,
            System.nanoTime())
        .status();
  }

  private String body(String url) {
    Answer answer =
        send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            url,
            System.nanoTime());
    return answer.body() == null ? "" : answer.body();
  }

  private static int occurrences(String text, String part) {
    int count = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      count++;
    }
    return count;
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  /** The load's pacing (requests per client, samples per second), not a wait for a condition. */
  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
