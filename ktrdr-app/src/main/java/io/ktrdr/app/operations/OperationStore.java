package io.ktrdr.app.operations;

import io.ktrdr.app.data.DatabaseCircuit;
import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import tools.jackson.core.type.TypeReference;

/**
 * The API's operations, in the app's database (table {@code operations}): every change is written
 * before it is visible, so an API restart loses nothing. Operations not yet final are also kept in
 * memory, where dispatch, progress and reconciliation find them. Bounded: at most {@code max}
 * operations, finished ones deleted after {@code retention} or, when the table is full, oldest
 * first; when every stored operation is still active, a new one is refused (503). Every call goes
 * through the {@link DatabaseCircuit}: while the database is down, a call that needs it is a 503 at
 * once, and the record keeps its previous state.
 */
public final class OperationStore {
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
  private static final String COLUMNS =
      "id, operation_type, state, progress, message, worker_id, worker_instance, trace_id,"
          + " parameters, result, error, created_ms, updated_ms";

  private final DataSource dataSource;
  private final DatabaseCircuit circuit;
  private final Clock clock;
  private final int max;
  private final Duration retention;
  private final Map<String, OperationRecord> active = new ConcurrentHashMap<>();
  private final OperationRecord.Persister persister = this::save;

  public OperationStore(
      DataSource dataSource, DatabaseCircuit circuit, Clock clock, int max, Duration retention) {
    this.dataSource = dataSource;
    this.circuit = circuit;
    this.clock = clock;
    this.max = max;
    this.retention = retention;
  }

  /** Creates the table if needed and loads the operations that are not final. */
  public void initialize() throws SQLException {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE TABLE IF NOT EXISTS operations (id VARCHAR(64) PRIMARY KEY,"
              + " operation_type VARCHAR(16) NOT NULL, state VARCHAR(16) NOT NULL,"
              + " progress DOUBLE PRECISION NOT NULL, message VARCHAR(512),"
              + " worker_id VARCHAR(64), worker_instance VARCHAR(64), trace_id VARCHAR(32),"
              + " parameters VARCHAR(4096) NOT NULL, result VARCHAR(131072), error VARCHAR(2048),"
              + " created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL)");
      statement.execute("CREATE INDEX IF NOT EXISTS operations_created ON operations (created_ms)");
      statement.execute("CREATE INDEX IF NOT EXISTS operations_state ON operations (state)");
      try (ResultSet rows =
          statement.executeQuery(
              "SELECT "
                  + COLUMNS
                  + " FROM operations WHERE state IN ('pending', 'running', 'cancelling')")) {
        while (rows.next()) {
          OperationRecord record = new OperationRecord(row(rows), clock, persister);
          active.put(record.id(), record);
        }
      }
    }
    circuit.markUp();
  }

  /** A new pending operation, stored; 503 when the store is full of active operations. */
  public OperationRecord create(OperationType type, Map<String, Object> parameters) {
    if (active.size() >= max) {
      throw ApiException.unavailable(
          "Too many operations are active (" + active.size() + "); retry when some finish");
    }
    String id =
        "op_" + type.code() + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    OperationRecord record = new OperationRecord(id, type, parameters, clock, persister);
    circuit.call(
        "Could not store operation " + id,
        () -> {
          try (Connection connection = dataSource.getConnection()) {
            if (count(connection) >= max) {
              purge(connection, max - 1);
            }
            try (PreparedStatement insert =
                connection.prepareStatement(
                    "INSERT INTO operations ("
                        + COLUMNS
                        + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
              bind(insert, record.row());
              return insert.executeUpdate();
            }
          }
        });
    active.put(id, record);
    return record;
  }

  /** Removes an operation no worker took and nobody cancelled, so a failed start leaves nothing. */
  public void discardIfPending(OperationRecord record) {
    synchronized (record) {
      if (record.state() != OperationState.PENDING) {
        return;
      }
      active.remove(record.id());
      circuit.call(
          "Could not remove operation " + record.id(),
          () -> {
            try (Connection connection = dataSource.getConnection();
                PreparedStatement delete =
                    connection.prepareStatement("DELETE FROM operations WHERE id = ?")) {
              delete.setString(1, record.id());
              return delete.executeUpdate();
            }
          });
    }
  }

  /** The operation: the live record when active, else what the database holds. */
  public Optional<OperationRecord> get(String id) {
    OperationRecord live = active.get(id);
    if (live != null) {
      return Optional.of(live);
    }
    if (id.length() > 64) {
      return Optional.empty();
    }
    return circuit.call(
        "Could not read operation",
        () -> {
          try (Connection connection = dataSource.getConnection();
              PreparedStatement select =
                  connection.prepareStatement(
                      "SELECT " + COLUMNS + " FROM operations WHERE id = ?")) {
            select.setString(1, id);
            try (ResultSet rows = select.executeQuery()) {
              return rows.next()
                  ? Optional.of(new OperationRecord(row(rows), clock, persister))
                  : Optional.empty();
            }
          }
        });
  }

  /** A page of operations as JSON, newest first, and the total count. */
  public Page page(int limit, int offset) {
    return circuit.call("Could not list operations", () -> readPage(limit, offset));
  }

  private Page readPage(int limit, int offset) throws SQLException {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select =
            connection.prepareStatement(
                "SELECT "
                    + COLUMNS
                    + " FROM operations ORDER BY created_ms DESC, id DESC LIMIT ? OFFSET ?")) {
      select.setInt(1, limit);
      select.setInt(2, offset);
      List<Map<String, Object>> operations = new ArrayList<>();
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          operations.add(OperationRecord.json(row(rows)));
        }
      }
      return new Page(operations, count(connection));
    }
  }

  /** One page of {@link #page}. */
  public record Page(List<Map<String, Object>> operations, long total) {}

  /** Operations not final that run (or are offered) on {@code workerId}. */
  public List<OperationRecord> activeOn(String workerId) {
    return active.values().stream()
        .filter(r -> workerId.equals(r.workerId()))
        .collect(Collectors.toList());
  }

  /** Every operation not final. */
  public List<OperationRecord> active() {
    return List.copyOf(active.values());
  }

  /** Deletes finished operations older than the retention period, and beyond {@code max}. */
  public int purge() {
    return circuit.call(
        "Could not purge operations",
        () -> {
          try (Connection connection = dataSource.getConnection()) {
            return purge(connection, max);
          }
        });
  }

  private int purge(Connection connection, int keep) throws SQLException {
    int deleted;
    try (PreparedStatement old =
        connection.prepareStatement(
            "DELETE FROM operations WHERE state IN ('completed', 'failed', 'cancelled')"
                + " AND updated_ms < ?")) {
      old.setLong(1, clock.millis() - retention.toMillis());
      deleted = old.executeUpdate();
    }
    long excess = count(connection) - keep;
    if (excess > 0) {
      try (PreparedStatement oldest =
          connection.prepareStatement(
              "DELETE FROM operations WHERE id IN (SELECT id FROM operations WHERE state IN"
                  + " ('completed', 'failed', 'cancelled') ORDER BY created_ms LIMIT ?)")) {
        oldest.setLong(1, excess);
        deleted += oldest.executeUpdate();
      }
    }
    return deleted;
  }

  private static long count(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM operations")) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private void save(OperationRecord record) {
    OperationRecord.Row row = record.row();
    circuit.call("Could not store operation " + row.id(), () -> update(row));
    if (row.state().isFinal()) {
      active.remove(row.id());
    }
  }

  private int update(OperationRecord.Row row) throws SQLException {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement update =
            connection.prepareStatement(
                "UPDATE operations SET state = ?, progress = ?, message = ?, worker_id = ?,"
                    + " worker_instance = ?, trace_id = ?, result = ?, error = ?, updated_ms = ?"
                    + " WHERE id = ?")) {
      update.setString(1, row.state().code());
      update.setDouble(2, row.progress());
      update.setString(3, truncate(row.message(), 512));
      update.setString(4, row.workerId());
      update.setString(5, row.workerInstance());
      update.setString(6, row.traceId());
      update.setString(
          7, row.result() == null ? null : Json.MAPPER.writeValueAsString(row.result()));
      update.setString(8, truncate(row.error(), 2048));
      update.setLong(9, row.updatedAt().toEpochMilli());
      update.setString(10, row.id());
      int updated = update.executeUpdate();
      if (updated != 1) {
        throw ApiException.unavailable("Operation " + row.id() + " is no longer stored");
      }
      return updated;
    }
  }

  private static void bind(PreparedStatement statement, OperationRecord.Row row)
      throws SQLException {
    statement.setString(1, row.id());
    statement.setString(2, row.type().code());
    statement.setString(3, row.state().code());
    statement.setDouble(4, row.progress());
    statement.setString(5, truncate(row.message(), 512));
    statement.setString(6, row.workerId());
    statement.setString(7, row.workerInstance());
    statement.setString(8, row.traceId());
    statement.setString(9, Json.MAPPER.writeValueAsString(row.parameters()));
    statement.setString(
        10, row.result() == null ? null : Json.MAPPER.writeValueAsString(row.result()));
    statement.setString(11, truncate(row.error(), 2048));
    statement.setLong(12, row.createdAt().toEpochMilli());
    statement.setLong(13, row.updatedAt().toEpochMilli());
  }

  private static OperationRecord.Row row(ResultSet rows) throws SQLException {
    String result = rows.getString("result");
    return new OperationRecord.Row(
        rows.getString("id"),
        OperationType.forCode(rows.getString("operation_type")),
        Json.MAPPER.readValue(rows.getString("parameters"), MAP),
        OperationState.parse(rows.getString("state")),
        rows.getDouble("progress"),
        rows.getString("message"),
        rows.getString("worker_id"),
        rows.getString("worker_instance"),
        rows.getString("trace_id"),
        result == null ? null : Json.MAPPER.readValue(result, MAP),
        rows.getString("error"),
        Instant.ofEpochMilli(rows.getLong("created_ms")),
        Instant.ofEpochMilli(rows.getLong("updated_ms")));
  }

  private static String truncate(String value, int max) {
    return value == null || value.length() <= max ? value : value.substring(0, max);
  }
}
