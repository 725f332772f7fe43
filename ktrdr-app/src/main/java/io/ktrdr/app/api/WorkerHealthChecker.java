package io.ktrdr.app.api;

import io.ktrdr.app.operations.OperationRecord;
import io.ktrdr.app.operations.OperationState;
import io.ktrdr.app.operations.OperationStore;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks every worker's {@code /health} periodically. After {@code failuresBeforeUnavailable}
 * failures in a row a worker is unavailable and its running operations fail (counted in {@code
 * ktrdr_operations_lost_total{operation_type}}); after {@code failuresBeforeForget} it is
 * forgotten. Health checks are not traced: they would drown the real traces.
 */
final class WorkerHealthChecker implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(WorkerHealthChecker.class);
  private static final AttributeKey<String> OPERATION_TYPE =
      AttributeKey.stringKey("operation_type");

  private final WorkerRegistry registry;
  private final OperationStore store;
  private final int failuresBeforeUnavailable;
  private final int failuresBeforeForget;
  private final LongCounter lost;
  private final HttpClient client;
  private final ScheduledExecutorService scheduler;

  WorkerHealthChecker(
      WorkerRegistry registry,
      OperationStore store,
      Meter meter,
      Duration interval,
      int failuresBeforeUnavailable,
      int failuresBeforeForget) {
    this.registry = registry;
    this.store = store;
    this.failuresBeforeUnavailable = failuresBeforeUnavailable;
    this.failuresBeforeForget = failuresBeforeForget;
    this.lost =
        meter
            .counterBuilder("ktrdr.operations.lost")
            .setUnit("{operation}")
            .setDescription("Operations failed by the API because their worker stopped responding.")
            .build();
    for (io.ktrdr.app.operations.OperationType type :
        io.ktrdr.app.operations.OperationType.values()) {
      lost.add(0, Attributes.of(OPERATION_TYPE, type.code()));
    }
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(
                interval.compareTo(Duration.ofSeconds(2)) < 0 ? interval : Duration.ofSeconds(2))
            .build();
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "ktrdr-worker-health");
              thread.setDaemon(true);
              return thread;
            });
    scheduler.scheduleWithFixedDelay(
        this::checkAll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void checkAll() {
    for (WorkerRegistry.Worker worker : registry.all()) {
      try {
        check(worker);
      } catch (RuntimeException e) {
        logger.warn("Health check of {} failed unexpectedly", worker.id(), e);
      }
    }
  }

  private void check(WorkerRegistry.Worker worker) {
    boolean healthy;
    try {
      HttpResponse<Void> response =
          client.send(
              HttpRequest.newBuilder(URI.create(worker.url() + "/health"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      healthy = response.statusCode() == 200;
    } catch (java.io.IOException e) {
      healthy = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (healthy) {
      if (!worker.available()) {
        logger.info("Worker {} is healthy again", worker.id());
      }
      registry.healthy(worker);
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
        boolean changed =
            record.finish(
                OperationState.FAILED,
                null,
                "Worker "
                    + worker.id()
                    + " stopped responding ("
                    + failures
                    + " health checks failed); the operation was lost");
        if (changed) {
          lost.add(1, Attributes.of(OPERATION_TYPE, record.type().code()));
          logger
              .atWarn()
              .addKeyValue("operation_id", record.id())
              .addKeyValue("worker_id", worker.id())
              .log("Operation failed: its worker stopped responding");
        }
      }
    }
    if (failures >= failuresBeforeForget) {
      registry.forget(worker);
      logger.info("Worker {} forgotten after {} failed health checks", worker.id(), failures);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
