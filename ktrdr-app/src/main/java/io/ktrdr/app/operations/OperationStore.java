package io.ktrdr.app.operations;

import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/** The API's operations, in memory. */
public final class OperationStore {
  private final Map<String, OperationRecord> records = new ConcurrentHashMap<>();
  private final Clock clock;

  public OperationStore(Clock clock) {
    this.clock = clock;
  }

  public OperationRecord create(OperationType type, Map<String, Object> parameters) {
    String id =
        "op_" + type.code() + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    OperationRecord record = new OperationRecord(id, type, parameters, clock);
    records.put(id, record);
    return record;
  }

  /** Forgets an operation no worker took, so that a failed start leaves nothing behind. */
  public void discard(String id) {
    records.remove(id);
  }

  public Optional<OperationRecord> get(String id) {
    return Optional.ofNullable(records.get(id));
  }

  /** Newest first. */
  public List<OperationRecord> list() {
    return records.values().stream()
        .sorted(Comparator.comparing(OperationRecord::createdAt).reversed())
        .collect(Collectors.toList());
  }

  /** Operations not final that run on {@code workerId}. */
  public List<OperationRecord> activeOn(String workerId) {
    return records.values().stream()
        .filter(r -> workerId.equals(r.workerId()) && !r.state().isFinal())
        .collect(Collectors.toList());
  }
}
