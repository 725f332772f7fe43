package io.ktrdr.app.api;

import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.Json;
import io.ktrdr.app.operations.OperationRecord;
import io.ktrdr.app.operations.OperationStore;
import io.ktrdr.telemetry.tracing.KtrdrTracing;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands operations to workers over HTTP (traced: the worker continues the request's trace). A busy
 * worker (503) is skipped for the next; when none takes the operation, it is discarded and the
 * client gets 503.
 */
final class Dispatcher {
  private static final Logger logger = LoggerFactory.getLogger(Dispatcher.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final WorkerRegistry registry;
  private final OperationStore store;
  private final HttpClient client;

  Dispatcher(WorkerRegistry registry, OperationStore store, HttpClient tracedClient) {
    this.registry = registry;
    this.store = store;
    this.client = tracedClient;
  }

  /** Starts {@code record} on the first available worker of its type, or throws 503. */
  void dispatch(OperationRecord record) {
    String workerType = record.type().workerType();
    List<WorkerRegistry.Worker> candidates = registry.available(workerType);
    int busy = 0;
    int unreachable = 0;
    for (WorkerRegistry.Worker worker : candidates) {
      Map<String, Object> payload = new LinkedHashMap<>(record.parameters());
      payload.put("operation_id", record.id());
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(worker.url() + record.type().startPath()))
              .timeout(TIMEOUT)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(payload)))
              .build();
      try {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 202) {
          record.assigned(worker.id(), KtrdrTracing.currentTraceId());
          logger
              .atInfo()
              .addKeyValue("operation_id", record.id())
              .addKeyValue("worker_id", worker.id())
              .log("Operation dispatched");
          return;
        }
        if (response.statusCode() == 503) {
          busy++;
          continue;
        }
        unreachable++;
        logger.warn(
            "Worker {} refused operation {} with status {}",
            worker.id(),
            record.id(),
            response.statusCode());
      } catch (IOException e) {
        unreachable++;
        registry.failed(worker);
        logger.warn("Worker {} unreachable for dispatch: {}", worker.id(), e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    store.discard(record.id());
    int registered = (int) registry.all().stream().filter(w -> w.type().equals(workerType)).count();
    throw ApiException.unavailable(
        "No "
            + workerType
            + " worker is available ("
            + registered
            + " registered, "
            + candidates.size()
            + " healthy, "
            + busy
            + " busy, "
            + unreachable
            + " unreachable); try again later");
  }

  /**
   * Asks the worker to cancel; false when it cannot be reached or no longer knows the operation.
   */
  boolean cancel(OperationRecord record) {
    String workerId = record.workerId();
    if (workerId == null) {
      return false;
    }
    return registry
        .get(workerId)
        .map(
            worker -> {
              HttpRequest request =
                  HttpRequest.newBuilder(URI.create(worker.url() + "/operations/" + record.id()))
                      .timeout(TIMEOUT)
                      .DELETE()
                      .build();
              try {
                return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode()
                    == 202;
              } catch (IOException e) {
                return false;
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
              }
            })
        .orElse(false);
  }
}
