package io.ktrdr.app.api;

import io.javalin.http.Context;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prometheus HTTP service discovery ({@code http_sd_configs}) from the worker registry: {@code GET
 * /api/v1/workers/targets} lists every registered worker as a scrape target, so adding workers
 * (compose {@code --scale}, more hosts) needs no edit of the scrape configuration. A worker leaves
 * the list when the registry forgets it.
 *
 * <pre>{@code
 * [{"targets": ["backtest-worker:5003"],
 *   "labels": {"worker_type": "backtesting", "worker_id": "backtest-worker-1"}}]
 * }</pre>
 *
 * <p>The labels identify the target for alerts that fire while it cannot be scraped (a worker that
 * is down has no telemetry of its own); dashboards group by what the workers' own metrics carry.
 */
final class WorkerTargets {
  private final WorkerRegistry registry;

  WorkerTargets(WorkerRegistry registry) {
    this.registry = registry;
  }

  void handle(Context ctx) {
    ctx.json(targets());
  }

  List<Map<String, Object>> targets() {
    List<Map<String, Object>> groups = new ArrayList<>();
    for (WorkerRegistry.Worker worker : registry.all()) {
      URI url = URI.create(worker.url());
      int port = url.getPort() != -1 ? url.getPort() : url.getScheme().equals("https") ? 443 : 80;
      Map<String, String> labels = new LinkedHashMap<>();
      labels.put("worker_type", worker.type());
      labels.put("worker_id", worker.id());
      labels.put("__scheme__", url.getScheme());
      // The registry keeps URLs without a trailing slash.
      labels.put("__metrics_path__", (url.getPath() == null ? "" : url.getPath()) + "/metrics");
      Map<String, Object> group = new LinkedHashMap<>();
      group.put("targets", List.of(url.getHost() + ":" + port));
      group.put("labels", labels);
      groups.add(group);
    }
    return groups;
  }
}
