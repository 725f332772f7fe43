package io.ktrdr.app.operations;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** The API's view of one operation. Thread-safe; once final, it no longer changes. */
public final class OperationRecord {
  private final String id;
  private final OperationType type;
  private final Map<String, Object> parameters;
  private final Instant createdAt;
  private final Clock clock;
  private OperationState state = OperationState.PENDING;
  private double progress;
  private String message = "waiting for a worker";
  private String workerId;
  private String traceId;
  private Map<String, Object> result;
  private String error;
  private Instant updatedAt;

  OperationRecord(String id, OperationType type, Map<String, Object> parameters, Clock clock) {
    this.id = id;
    this.type = type;
    this.parameters = Map.copyOf(parameters);
    this.clock = clock;
    this.createdAt = clock.instant();
    this.updatedAt = createdAt;
  }

  public String id() {
    return id;
  }

  public OperationType type() {
    return type;
  }

  public Map<String, Object> parameters() {
    return parameters;
  }

  public synchronized OperationState state() {
    return state;
  }

  public synchronized String workerId() {
    return workerId;
  }

  /** A worker accepted it. */
  public synchronized void assigned(String workerId, String traceId) {
    if (state == OperationState.PENDING) {
      this.state = OperationState.RUNNING;
      this.workerId = workerId;
      this.traceId = traceId;
      this.message = "running on " + workerId;
      touch();
    }
  }

  /** Progress from the worker; ignored once final. Returns whether it was applied. */
  public synchronized boolean progress(double fraction, String message) {
    if (state.isFinal()) {
      return false;
    }
    this.progress = Math.max(0, Math.min(1, fraction));
    if (message != null) {
      this.message = message;
    }
    touch();
    return true;
  }

  /** Cancellation was asked for; the worker confirms with a final state. */
  public synchronized boolean cancelling() {
    if (state.isFinal()) {
      return false;
    }
    state = OperationState.CANCELLING;
    message = "cancellation requested";
    touch();
    return true;
  }

  /** Ends it; ignored (returns false) once final. */
  public synchronized boolean finish(
      OperationState finalState, Map<String, Object> result, String error) {
    if (state.isFinal()) {
      return false;
    }
    this.state = finalState;
    this.result = result == null ? null : Map.copyOf(result);
    this.error = error;
    if (finalState == OperationState.COMPLETED) {
      this.progress = 1.0;
      this.message = "completed";
    } else {
      this.message = finalState.code();
    }
    touch();
    return true;
  }

  private void touch() {
    updatedAt = clock.instant();
  }

  /** The JSON form served by {@code GET /api/v1/operations/{id}}. */
  public synchronized Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("operation_id", id);
    json.put("operation_type", type.code());
    json.put("status", state.code());
    json.put("progress", progress);
    json.put("message", message);
    json.put("worker_id", workerId);
    json.put("trace_id", traceId);
    json.put("parameters", parameters);
    json.put("result", result);
    json.put("error", error);
    json.put("created_at", createdAt.toString());
    json.put("updated_at", updatedAt.toString());
    return json;
  }

  Instant createdAt() {
    return createdAt;
  }
}
