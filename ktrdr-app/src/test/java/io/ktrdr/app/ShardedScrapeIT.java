package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.AppProcess;
import io.ktrdr.app.testing.Cluster;
import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.app.testing.Repo;
import io.ktrdr.app.testing.VictoriaMetricsProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Scrape sharding with the shipped template ({@code prometheus/shards/prometheus-shard.yml},
 * rendered by {@code scripts/prometheus-shard-config.sh}): three real Prometheus shards discover a
 * real worker and a fleet of simulated workers ({@code
 * benchmarks/prometheus-sizing/SimulatedWorkers.java}, each serving a real worker's {@code
 * /metrics}) through the API's http_sd endpoint. Every worker is scraped by exactly one shard, none
 * by none, and all of them are queryable in one place, the VictoriaMetrics they write to.
 */
class ShardedScrapeIT {
  private static final int SHARDS = 3;
  private static final int SIMULATED = 150;
  private static final Duration WAIT = Duration.ofSeconds(90);

  @Test
  void everyWorkerIsScrapedByExactlyOneShardAndAllAreQueryableInTheStore() throws Exception {
    Path directory = Files.createTempDirectory("ktrdr-shards-");
    List<AutoCloseable> running = new ArrayList<>();
    Process fleet = null;
    try {
      Cluster cluster = new Cluster(Map.of(), Map.of("KTRDR_MAX_WORKERS", "500"));
      running.add(cluster);
      Cluster.WorkerHandle real =
          cluster.startWorker("backtest-worker-1", "backtesting", Duration.ofMillis(2));
      Path body = directory.resolve("worker-metrics.txt");
      Files.writeString(body, Cluster.send("GET", real.url("/metrics"), null).body());
      fleet = startFleet(body, cluster.apiUrl(""));

      Set<String> registered = new HashSet<>();
      JsonNode workers =
          Cluster.json(cluster.api("GET", "/api/v1/workers?limit=500", null)).get("workers");
      workers.forEach(w -> registered.add(w.get("worker_id").asString()));
      assertThat(registered).hasSize(SIMULATED + 1);

      VictoriaMetricsProcess store = VictoriaMetricsProcess.start();
      running.add(store);
      List<PrometheusProcess> shards = new ArrayList<>();
      for (int i = 0; i < SHARDS; i++) {
        int port = PrometheusProcess.freePort();
        PrometheusProcess shard =
            PrometheusProcess.start(port, shardConfig(i, port, cluster.apiUrl(""), store));
        running.add(shard);
        shards.add(shard);
      }

      // Each shard keeps its part of the discovered workers and drops the rest.
      List<Set<String>> scraped = new ArrayList<>();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (true) {
        scraped.clear();
        int total = 0;
        boolean allUp = true;
        for (PrometheusProcess shard : shards) {
          Set<String> ids = new HashSet<>();
          JsonNode targets = shard.api("/api/v1/targets?state=active").get("activeTargets");
          for (JsonNode target : targets) {
            if (target.at("/labels/job").asString().equals("ktrdr-workers")) {
              ids.add(target.at("/labels/worker_id").asString());
              allUp &= target.get("health").asString().equals("up");
            }
          }
          scraped.add(ids);
          total += ids.size();
        }
        if (total == registered.size() && allUp) {
          break;
        }
        assertThat(System.nanoTime())
            .as("every worker up on some shard; per shard: %s", sizes(scraped))
            .isLessThan(deadline);
        Thread.sleep(500);
      }
      Set<String> union = new HashSet<>();
      for (int i = 0; i < SHARDS; i++) {
        assertThat(scraped.get(i)).as("shard %s scrapes some workers", i).isNotEmpty();
        for (int j = i + 1; j < SHARDS; j++) {
          Set<String> both = new HashSet<>(scraped.get(i));
          both.retainAll(scraped.get(j));
          assertThat(both).as("workers scraped by shards %s and %s", i, j).isEmpty();
        }
        union.addAll(scraped.get(i));
        JsonNode dropped = shards.get(i).api("/api/v1/targets?state=dropped").get("droppedTargets");
        long droppedWorkers =
            dropped
                .valueStream()
                .filter(t -> t.at("/discoveredLabels/job").asString().equals("ktrdr-workers"))
                .count();
        assertThat(scraped.get(i).size() + droppedWorkers)
            .as("shard %s saw every worker and kept only its own", i)
            .isEqualTo(registered.size());
      }
      assertThat(union).as("no worker scraped by no shard").isEqualTo(registered);
      System.out.println("ShardedScrapeIT: workers per shard " + sizes(scraped));

      // All in one place: one series per worker in the store, without the shard label.
      String perWorker = "count by (worker_id) (up{job=\"ktrdr-workers\"} == 1)";
      deadline = System.nanoTime() + WAIT.toNanos();
      JsonNode stored = store.query(perWorker);
      while (stored.size() < registered.size()) {
        assertThat(System.nanoTime())
            .as("every worker in the store; %s so far", stored.size())
            .isLessThan(deadline);
        Thread.sleep(500);
        stored = store.query(perWorker);
      }
      Set<String> inStore = new HashSet<>();
      for (JsonNode series : stored) {
        inStore.add(series.at("/metric/worker_id").asString());
        assertThat(series.at("/value/1").asString()).as(series.toString()).isEqualTo("1");
      }
      assertThat(inStore).isEqualTo(registered);
      assertThat(store.query("count({shard=~\".+\"})")).isEmpty();
      assertThat(
              store.query("count(target_info{job=\"ktrdr-workers\"})").at("/0/value/1").asString())
          .isEqualTo(Integer.toString(registered.size()));
    } finally {
      if (fleet != null) {
        fleet.getOutputStream().close();
        if (!fleet.waitFor(10, TimeUnit.SECONDS)) {
          fleet.destroyForcibly();
        }
      }
      for (int i = running.size() - 1; i >= 0; i--) {
        try {
          running.get(i).close();
        } catch (Exception ignored) {
          // best effort
        }
      }
    }
  }

  private static List<Integer> sizes(List<Set<String>> scraped) {
    return scraped.stream().map(Set::size).toList();
  }

  /** The simulated fleet, a separate JVM; returns once every simulated worker is registered. */
  private static Process startFleet(Path body, String apiUrl) throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m",
                Repo.path("benchmarks/prometheus-sizing/SimulatedWorkers.java").toString(),
                body.toString(),
                Integer.toString(SIMULATED),
                apiUrl,
                "sim")
            .redirectErrorStream(true);
    builder.environment().put("KTRDR_CLUSTER_SECRET", AppProcess.TEST_CLUSTER_SECRET);
    Process fleet = builder.start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(fleet.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null) {
      seen.append(line).append('\n');
      if (line.equals("ready " + SIMULATED)) {
        return fleet;
      }
    }
    throw new AssertionError("the simulated workers did not start:\n" + seen);
  }

  /** Shard {@code index} as the script renders it, with this run's addresses and 2 s periods. */
  private static String shardConfig(
      int index, int port, String apiUrl, VictoriaMetricsProcess store) throws Exception {
    Process render =
        new ProcessBuilder(
                "bash",
                Repo.path("scripts/prometheus-shard-config.sh").toString(),
                Integer.toString(SHARDS),
                Integer.toString(index))
            .redirectErrorStream(true)
            .start();
    String rendered = new String(render.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(render.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(render.exitValue()).as(rendered).isZero();
    String config =
        rendered
            .replaceAll("(?m)^\\s*always_scrape_classic_histograms: true\\n", "")
            .replace("_interval: 15s", "_interval: 2s")
            .replace("scrape_timeout: 10s", "scrape_timeout: 2s")
            .replace("http://backend:8000", apiUrl)
            .replace("http://victoriametrics:8428/api/v1/write", store.writeUrl())
            .replace(
                "      max_samples_per_send: 5000\n",
                "      max_samples_per_send: 5000\n      batch_send_deadline: 1s\n")
            .replace("localhost:9090", "127.0.0.1:" + port);
    assertThat(config)
        .contains("modulus: " + SHARDS, "regex: " + index)
        .doesNotContain("SHARD_", "backend", "victoriametrics");
    return config;
  }
}
