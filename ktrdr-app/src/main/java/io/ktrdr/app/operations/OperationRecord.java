package io.ktrdr.app.operations;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The API's view of one operation. Every change goes through {@link OperationState}'s machine and
 * is written to the database before it is visible: when the write fails, the record keeps its
 * previous state and the caller gets the exception. Thread-safe; once final, it never changes.
 */
public final class OperationRecord {
  /** Writes a record's current state; called under the record's lock. */
  interface Persister {
    void save(OperationRecord record);
  }

  private final String id;
  private final OperationType type;
  private final Map<String, Object> parameters;
  private final Instant createdAt;
  private final Clock clock;
  private final Persister persister;
  private OperationState state;
  private double progress;
  private String message;
  private String workerId;
  private String workerInstance;
  private String traceId;
  private Map<String, Object> result;
  private String error;
  private Instant updatedAt;

  OperationRecord(
      String id,
      OperationType type,
      Map<String, Object> parameters,
      Clock clock,
      Persister persister) {
    this.id = id;
    this.type = type;
    this.parameters = Map.copyOf(parameters);
    this.clock = clock;
    this.persister = persister;
    this.createdAt = clock.instant();
    this.updatedAt = createdAt;
    this.state = OperationState.PENDING;
    this.message = "waiting for a worker";
  }

  /** A record read back from the database. */
  OperationRecord(Row row, Clock clock, Persister persister) {
    this.id = row.id();
    this.type = row.type();
    this.parameters = row.parameters();
    this.clock = clock;
    this.persister = persister;
    this.createdAt = row.createdAt();
    this.state = row.state();
    this.progress = row.progress();
    this.message = row.message();
    this.workerId = row.workerId();
    this.workerInstance = row.workerInstance();
    this.traceId = row.traceId();
    this.result = row.result();
    this.error = row.error();
    this.updatedAt = row.updatedAt();
  }

  /** The stored form of a record. */
  record Row(
      String id,
      OperationType type,
      Map<String, Object> parameters,
      OperationState state,
      double progress,
      String message,
      String workerId,
      String workerInstance,
      String traceId,
      Map<String, Object> result,
      String error,
      Instant createdAt,
      Instant updatedAt) {}

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

  public synchronized String workerInstance() {
    return workerInstance;
  }

  public synchronized Instant updatedAt() {
    return updatedAt;
  }

  synchronized Row row() {
    return new Row(
        id,
        type,
        parameters,
        state,
        progress,
        message,
        workerId,
        workerInstance,
        traceId,
        result,
        error,
        createdAt,
        updatedAt);
  }

  /**
   * The dispatcher is offering it to {@code workerId}: reports from that worker are accepted from
   * now on. Only while pending; returns whether it applied.
   */
  public synchronized boolean offer(String workerId, String workerInstance, String traceId) {
    if (state != OperationState.PENDING) {
      return false;
    }
    return change(
        () -> {
          this.workerId = workerId;
          this.workerInstance = workerInstance;
          this.traceId = traceId;
          this.message = "dispatching to " + workerId;
        });
  }

  /** The worker accepted it: PENDING to RUNNING. False when it was cancelled meanwhile. */
  public synchronized boolean assigned(String workerId) {
    if (state != OperationState.PENDING || !workerId.equals(this.workerId)) {
      return false;
    }
    return change(
        () -> {
          state = OperationState.RUNNING;
          message = "running on " + workerId;
        });
  }

  /**
   * Progress from the worker. A pending operation becomes running (the report can overtake the
   * dispatcher's own confirmation); ignored once final. Returns whether it was applied.
   */
  public synchronized boolean progress(double fraction, String message) {
    if (state.isFinal()) {
      return false;
    }
    return change(
        () -> {
          if (state == OperationState.PENDING) {
            state = OperationState.RUNNING;
          }
          this.progress = Math.max(0, Math.min(1, fraction));
          if (message != null && state != OperationState.CANCELLING) {
            this.message = message;
          }
        });
  }

  /**
   * Cancellation: a pending operation is cancelled at once (no worker runs it), a running one
   * becomes CANCELLING until its worker confirms. False once final.
   */
  public synchronized boolean cancel() {
    if (state.isFinal()) {
      return false;
    }
    if (state == OperationState.CANCELLING) {
      return true;
    }
    if (state == OperationState.PENDING) {
      return change(
          () -> {
            state = OperationState.CANCELLED;
            message = "cancelled before a worker took it";
            error = "Cancelled on request";
          });
    }
    return change(
        () -> {
          state = OperationState.CANCELLING;
          message = "cancellation requested";
        });
  }

  /** Ends it; ignored (returns false) once final or when the machine forbids the move. */
  public synchronized boolean finish(
      OperationState finalState, Map<String, Object> result, String error) {
    if (!finalState.isFinal() || !state.canMoveTo(finalState)) {
      return false;
    }
    return change(
        () -> {
          this.state = finalState;
          this.result = result == null ? null : Map.copyOf(result);
          this.error = error;
          if (finalState == OperationState.COMPLETED) {
            this.progress = 1.0;
            this.message = "completed";
          } else {
            this.message = finalState.code();
          }
        });
  }

  /** Applies {@code mutation}, saves, and restores the previous state if the save fails. */
  private boolean change(Runnable mutation) {
    Row before = row();
    mutation.run();
    updatedAt = clock.instant();
    try {
      persister.save(this);
    } catch (RuntimeException e) {
      restore(before);
      throw e;
    }
    return true;
  }

  private void restore(Row row) {
    state = row.state();
    progress = row.progress();
    message = row.message();
    workerId = row.workerId();
    workerInstance = row.workerInstance();
    traceId = row.traceId();
    result = row.result();
    error = row.error();
    updatedAt = row.updatedAt();
  }

  /** The JSON form served by {@code GET /api/v1/operations/{id}}. */
  public synchronized Map<String, Object> toJson() {
    return json(row());
  }

  static Map<String, Object> json(Row row) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("operation_id", row.id());
    json.put("operation_type", row.type().code());
    json.put("status", row.state().code());
    json.put("progress", row.progress());
    json.put("message", row.message());
    json.put("worker_id", row.workerId());
    json.put("trace_id", row.traceId());
    json.put("parameters", row.parameters());
    json.put("result", row.result());
    json.put("error", row.error());
    json.put("created_at", row.createdAt().toString());
    json.put("updated_at", row.updatedAt().toString());
    return json;
  }

  Instant createdAt() {
    return createdAt;
  }
}
