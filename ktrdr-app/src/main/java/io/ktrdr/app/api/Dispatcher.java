package io.ktrdr.app.api;

import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.Credentials;
import io.ktrdr.app.http.Json;
import io.ktrdr.app.operations.OperationRecord;
import io.ktrdr.app.operations.OperationState;
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
 * Hands operations to workers over HTTP (traced: the worker continues the request's trace), with
 * the cluster secret, a short timeout and no redirects. A busy worker (503) is skipped for the
 * next; when none takes the operation, it is discarded and the client gets 503. An operation
 * cancelled while it was being dispatched is cancelled on the worker that took it.
 */
final class Dispatcher {
  private static final Logger logger = LoggerFactory.getLogger(Dispatcher.class);

  private final WorkerRegistry registry;
  private final OperationStore store;
  private final HttpClient client;
  private final Credentials credentials;
  private final Duration timeout;

  /**
   * @param tracedClient a client built with {@link HttpClient.Redirect#NEVER} and a short connect
   *     timeout
   */
  Dispatcher(
      WorkerRegistry registry,
      OperationStore store,
      HttpClient tracedClient,
      Credentials credentials,
      Duration timeout) {
    this.registry = registry;
    this.store = store;
    this.client = tracedClient;
    this.credentials = credentials;
    this.timeout = timeout;
  }

  /** Starts {@code record} on the first available worker of its type, or throws 503. */
  void dispatch(OperationRecord record) {
    String workerType = record.type().workerType();
    List<WorkerRegistry.Worker> candidates = registry.available(workerType);
    int busy = 0;
    int unreachable = 0;
    for (WorkerRegistry.Worker worker : candidates) {
      if (!record.offer(worker.id(), worker.instance(), KtrdrTracing.currentTraceId())) {
        // Cancelled while being dispatched: nothing runs it, nothing more to do.
        return;
      }
      Map<String, Object> payload = new LinkedHashMap<>(record.parameters());
      payload.put("operation_id", record.id());
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(worker.url() + record.type().startPath()))
              .timeout(timeout)
              .header("Content-Type", "application/json")
              .header("Authorization", credentials.clusterAuthorization())
              .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(payload)))
              .build();
      try {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 202) {
          if (!record.assigned(worker.id()) && record.state() == OperationState.CANCELLED) {
            // Cancelled while the worker was accepting it: stop it there too.
            cancelOn(worker, record.id());
          }
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
    store.discardIfPending(record);
    if (record.state().isFinal()) {
      return;
    }
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
    return registry.get(workerId).map(worker -> cancelOn(worker, record.id())).orElse(false);
  }

  private boolean cancelOn(WorkerRegistry.Worker worker, String operationId) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(worker.url() + "/operations/" + operationId))
            .timeout(timeout)
            .header("Authorization", credentials.clusterAuthorization())
            .DELETE()
            .build();
    try {
      return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 202;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
