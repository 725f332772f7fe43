package io.ktrdr.app.api;

import io.ktrdr.app.operations.OperationType;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The workers the API knows. Emits {@code ktrdr_workers_registered{worker_type}} and {@code
 * ktrdr_workers_available{worker_type}}, with every worker type present (0 when none).
 */
public final class WorkerRegistry {
  private static final AttributeKey<String> WORKER_TYPE = AttributeKey.stringKey("worker_type");

  /** A worker as the API sees it. */
  public static final class Worker {
    final String id;
    final String type;
    final String instance;
    volatile String url;
    volatile boolean available = true;
    volatile int consecutiveFailures;
    volatile Instant lastSeen;
    final Instant registeredAt;

    Worker(String id, String type, String instance, String url, Instant now) {
      this.id = id;
      this.type = type;
      this.instance = instance;
      this.url = url;
      this.lastSeen = now;
      this.registeredAt = now;
    }

    public String id() {
      return id;
    }

    public String type() {
      return type;
    }

    public String url() {
      return url;
    }

    /** The worker process's instance id: a new one each time the worker starts. */
    public String instance() {
      return instance;
    }

    public boolean available() {
      return available;
    }

    Map<String, Object> toJson() {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("worker_id", id);
      json.put("worker_type", type);
      json.put("instance_id", instance);
      json.put("url", url);
      json.put("status", available ? "available" : "unavailable");
      json.put("consecutive_failures", consecutiveFailures);
      json.put("last_seen", lastSeen.toString());
      json.put("registered_at", registeredAt.toString());
      return json;
    }
  }

  private final Map<String, Worker> workers = new ConcurrentHashMap<>();
  private final Clock clock;
  private final int maxWorkers;

  public WorkerRegistry(Clock clock, Meter meter, int maxWorkers) {
    this.clock = clock;
    this.maxWorkers = maxWorkers;
    Map<String, Attributes> typeAttributes = new LinkedHashMap<>();
    for (OperationType type : OperationType.values()) {
      typeAttributes.put(type.workerType(), Attributes.of(WORKER_TYPE, type.workerType()));
    }
    meter
        .gaugeBuilder("ktrdr.workers.registered")
        .ofLongs()
        .setUnit("{worker}")
        .setDescription("Workers registered with the API, by type.")
        .buildWithCallback(
            gauge ->
                typeAttributes.forEach(
                    (type, attributes) -> gauge.record(count(type, false), attributes)));
    meter
        .gaugeBuilder("ktrdr.workers.available")
        .ofLongs()
        .setUnit("{worker}")
        .setDescription("Registered workers whose health checks pass, by type.")
        .buildWithCallback(
            gauge ->
                typeAttributes.forEach(
                    (type, attributes) -> gauge.record(count(type, true), attributes)));
  }

  private long count(String type, boolean availableOnly) {
    return workers.values().stream()
        .filter(w -> w.type.equals(type) && (!availableOnly || w.available))
        .count();
  }

  /**
   * Registers or re-registers a worker; it is available at once. Returns the worker it replaced
   * when that was another process (another instance id) or another type, else empty. Throws {@link
   * IllegalStateException} when {@code maxWorkers} are registered and {@code id} is new.
   */
  public Optional<Worker> register(String id, String type, String instance, String url) {
    Instant now = clock.instant();
    Worker[] replaced = new Worker[1];
    Worker worker =
        workers.compute(
            id,
            (key, old) -> {
              if (old != null && old.type.equals(type) && old.instance.equals(instance)) {
                return old;
              }
              if (old == null && workers.size() >= maxWorkers) {
                throw new IllegalStateException("registry full");
              }
              replaced[0] = old;
              return new Worker(id, type, instance, url, now);
            });
    worker.url = url;
    worker.available = true;
    worker.consecutiveFailures = 0;
    worker.lastSeen = now;
    return Optional.ofNullable(replaced[0]);
  }

  /** A heartbeat: true when {@code id} is registered as this instance (else it must register). */
  public boolean heartbeat(String id, String instance) {
    Worker worker = workers.get(id);
    if (worker == null || !worker.instance.equals(instance)) {
      return false;
    }
    worker.lastSeen = clock.instant();
    return true;
  }

  public Optional<Worker> get(String id) {
    return Optional.ofNullable(workers.get(id));
  }

  public List<Worker> all() {
    return workers.values().stream()
        .sorted(Comparator.comparing(Worker::id))
        .collect(Collectors.toList());
  }

  /** Available workers of a type, least recently used first is not tracked: by id. */
  public List<Worker> available(String type) {
    List<Worker> result = new ArrayList<>();
    for (Worker worker : all()) {
      if (worker.type.equals(type) && worker.available) {
        result.add(worker);
      }
    }
    return result;
  }

  void healthy(Worker worker) {
    worker.consecutiveFailures = 0;
    worker.available = true;
    worker.lastSeen = clock.instant();
  }

  /** Returns the worker's consecutive failures after this one. */
  int failed(Worker worker) {
    return ++worker.consecutiveFailures;
  }

  void markUnavailable(Worker worker) {
    worker.available = false;
  }

  void forget(Worker worker) {
    workers.remove(worker.id, worker);
  }

  public List<Map<String, Object>> toJson() {
    return all().stream().map(Worker::toJson).collect(Collectors.toList());
  }
}
