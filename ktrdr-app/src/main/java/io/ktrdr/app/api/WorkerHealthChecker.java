package io.ktrdr.app.api;

import io.ktrdr.app.Redactor;
import io.ktrdr.app.http.Json;
import io.ktrdr.app.operations.OperationRecord;
import io.ktrdr.app.operations.OperationState;
import io.ktrdr.app.operations.OperationStore;
import io.ktrdr.app.operations.OperationType;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Checks every worker's {@code /health} periodically, all at once with a short timeout (a worker
 * that never answers cannot stall a round). After {@code failuresBeforeUnavailable} failures in a
 * row a worker is unavailable and its operations fail; after {@code failuresBeforeForget} it is
 * forgotten. Each round also reconciles the operations (see {@code docs/reference-app.md}, "The
 * life of an operation") and purges old ones. Operations failed here are counted in {@code
 * ktrdr_operations_lost_total{operation_type}}. Health checks are not traced.
 */
final class WorkerHealthChecker implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(WorkerHealthChecker.class);
  private static final AttributeKey<String> OPERATION_TYPE =
      AttributeKey.stringKey("operation_type");

  private final WorkerRegistry registry;
  private final OperationStore store;
  private final int failuresBeforeUnavailable;
  private final int failuresBeforeForget;
  private final Duration reconcileAfter;
  private final Duration timeout;
  private final Clock clock;
  private final BooleanSupplier storeReady;
  private Instant readySince;
  private final LongCounter lost;
  private final HttpClient client;
  private final ScheduledExecutorService scheduler;
  private long rounds;

  WorkerHealthChecker(
      WorkerRegistry registry,
      OperationStore store,
      Meter meter,
      Clock clock,
      BooleanSupplier storeReady,
      Duration interval,
      int failuresBeforeUnavailable,
      int failuresBeforeForget,
      Duration reconcileAfter,
      HttpClient client,
      Duration timeout) {
    this.registry = registry;
    this.store = store;
    this.clock = clock;
    this.storeReady = storeReady;
    this.failuresBeforeUnavailable = failuresBeforeUnavailable;
    this.failuresBeforeForget = failuresBeforeForget;
    this.reconcileAfter = reconcileAfter;
    // Not shortened to the interval: a slow answer under load is not a dead worker.
    this.timeout = timeout;
    this.client = client;
    this.lost =
        meter
            .counterBuilder("ktrdr.operations.lost")
            .setUnit("{operation}")
            .setDescription(
                "Operations failed by the API because their worker stopped responding, restarted"
                    + " or did not come back.")
            .build();
    for (OperationType type : OperationType.values()) {
      lost.add(0, Attributes.of(OPERATION_TYPE, type.code()));
    }
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "ktrdr-worker-health");
              thread.setDaemon(true);
              return thread;
            });
    scheduler.scheduleWithFixedDelay(
        this::round, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void round() {
    try {
      checkAll();
      if (storeReady.getAsBoolean()) {
        reconcile();
        if (rounds++ % 100 == 0) {
          int purged = store.purge();
          if (purged > 0) {
            logger.info("Purged {} finished operations (retention and size limit)", purged);
          }
        }
      }
    } catch (RuntimeException e) {
      logger.warn("Health round failed: {}", Redactor.redact(e.toString()));
    }
  }

  private void checkAll() {
    List<WorkerRegistry.Worker> workers = registry.all();
    List<CompletableFuture<Optional<JsonNode>>> checks = new ArrayList<>();
    for (WorkerRegistry.Worker worker : workers) {
      checks.add(
          client
              .sendAsync(
                  HttpRequest.newBuilder(URI.create(worker.url() + "/health"))
                      .timeout(timeout)
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .handle(
                  (response, error) -> {
                    if (error != null || response.statusCode() != 200) {
                      return Optional.<JsonNode>empty();
                    }
                    try {
                      return Optional.of(Json.MAPPER.readTree(response.body()));
                    } catch (RuntimeException e) {
                      return Optional.<JsonNode>empty();
                    }
                  }));
    }
    for (int i = 0; i < workers.size(); i++) {
      Optional<JsonNode> health;
      try {
        health = checks.get(i).get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        checks.get(i).cancel(true);
        health = Optional.empty();
      }
      try {
        apply(workers.get(i), health);
      } catch (RuntimeException e) {
        logger.warn(
            "Health check of {} failed unexpectedly: {}",
            workers.get(i).id(),
            Redactor.redact(e.toString()));
      }
    }
  }

  private void apply(WorkerRegistry.Worker worker, Optional<JsonNode> health) {
    boolean healthy =
        health.isPresent()
            && worker.id().equals(health.get().path("worker_id").asString(""))
            && worker.instance().equals(health.get().path("instance_id").asString(""));
    if (healthy) {
      if (!worker.available()) {
        logger.info("Worker {} is healthy again", worker.id());
      }
      registry.healthy(worker);
      String running = health.get().path("operation_id").asString("");
      for (OperationRecord record : store.activeOn(worker.id())) {
        if (!record.id().equals(running)
            && record.state() != OperationState.PENDING
            && olderThan(record.updatedAt(), reconcileAfter)) {
          fail(record, "Worker " + worker.id() + " no longer runs the operation");
        }
      }
      return;
    }
    int failures = registry.failed(worker);
    if (failures == failuresBeforeUnavailable) {
      registry.markUnavailable(worker);
      logger
          .atWarn()
          .addKeyValue("worker_id", worker.id())
          .addKeyValue("consecutive_failures", failures)
          .log("Worker marked unavailable");
      for (OperationRecord record : store.activeOn(worker.id())) {
        fail(
            record,
            "Worker "
                + worker.id()
                + " stopped responding ("
                + failures
                + " health checks failed); the operation was lost");
      }
    }
    if (failures >= failuresBeforeForget) {
      registry.forget(worker);
      logger.info("Worker {} forgotten after {} failed health checks", worker.id(), failures);
    }
  }

  /**
   * Operations whose worker is not (or no longer) registered as the process that took them: after
   * {@code reconcileAfter} (counted from when the stored operations were loaded, so that workers
   * have that long to come back after an API restart) they fail with the reason.
   */
  void reconcile() {
    if (readySince == null) {
      readySince = clock.instant();
    }
    boolean graceOver = olderThan(readySince, reconcileAfter);
    for (OperationRecord record : store.active()) {
      if (!olderThan(record.updatedAt(), reconcileAfter) || !graceOver) {
        continue;
      }
      String workerId = record.workerId();
      if (workerId == null) {
        fail(record, "No worker took the operation (its dispatch was interrupted)");
        continue;
      }
      Optional<WorkerRegistry.Worker> worker = registry.get(workerId);
      if (worker.isEmpty()) {
        fail(record, "Worker " + workerId + " did not come back within " + reconcileAfter);
      } else if (!worker.get().instance().equals(record.workerInstance())) {
        fail(record, "Worker " + workerId + " restarted; the operation was lost");
      }
    }
  }

  /** A worker re-registered as a new process: what the old process ran is lost. */
  void restarted(WorkerRegistry.Worker old) {
    for (OperationRecord record : store.activeOn(old.id())) {
      if (old.instance().equals(record.workerInstance())) {
        fail(record, "Worker " + old.id() + " restarted; the operation was lost");
      }
    }
  }

  private void fail(OperationRecord record, String reason) {
    if (record.finish(OperationState.FAILED, null, reason)) {
      lost.add(1, Attributes.of(OPERATION_TYPE, record.type().code()));
      logger
          .atWarn()
          .addKeyValue("operation_id", record.id())
          .addKeyValue("worker_id", record.workerId())
          .log("Operation failed: {}", reason);
    }
  }

  private boolean olderThan(Instant instant, Duration age) {
    return instant.plus(age).isBefore(clock.instant());
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
