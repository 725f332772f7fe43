package io.ktrdr.app.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.app.data.DatabaseCircuit;
import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.testing.MutableClock;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operations' state machine and their store, on an embedded H2. */
class OperationStoreTest {
  private static final Map<String, Object> PARAMETERS = Map.of("symbol", "AAPL");

  private final MutableClock clock = new MutableClock();
  private JdbcDataSource dataSource;
  private final List<DatabaseCircuit> circuits = new ArrayList<>();

  @AfterEach
  void closeCircuits() {
    circuits.forEach(DatabaseCircuit::close);
  }

  @BeforeEach
  void database() {
    dataSource = new JdbcDataSource();
    dataSource.setURL("jdbc:h2:mem:ops-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
  }

  private OperationStore store(int max, Duration retention) throws Exception {
    DatabaseCircuit circuit =
        new DatabaseCircuit(
            dataSource,
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            OpenTelemetry.noop().getMeter("test"));
    circuits.add(circuit);
    OperationStore store = new OperationStore(dataSource, circuit, clock, max, retention);
    store.initialize();
    return store;
  }

  @Test
  void theMachineAllowsExactlyTheDocumentedMoves() {
    Map<OperationState, Set<OperationState>> allowed =
        Map.of(
            OperationState.PENDING,
                EnumSet.of(OperationState.RUNNING, OperationState.CANCELLED, OperationState.FAILED),
            OperationState.RUNNING,
                EnumSet.of(
                    OperationState.CANCELLING,
                    OperationState.COMPLETED,
                    OperationState.FAILED,
                    OperationState.CANCELLED),
            OperationState.CANCELLING,
                EnumSet.of(
                    OperationState.COMPLETED, OperationState.FAILED, OperationState.CANCELLED));
    for (OperationState from : OperationState.values()) {
      for (OperationState to : OperationState.values()) {
        assertThat(from.canMoveTo(to))
            .as("%s -> %s", from, to)
            .isEqualTo(allowed.getOrDefault(from, Set.of()).contains(to));
      }
    }
  }

  @Test
  void cancellingWhileDispatchingCancelsAtOnceAndTheLateAcceptanceIsRefused() throws Exception {
    OperationRecord record =
        store(100, Duration.ofDays(1)).create(OperationType.BACKTEST, PARAMETERS);
    assertThat(record.offer("w1", "i1", null)).isTrue();

    assertThat(record.cancel()).isTrue();
    assertThat(record.state()).isEqualTo(OperationState.CANCELLED);
    // The worker's 202 arrives after the cancellation: the dispatcher must cancel it there.
    assertThat(record.assigned("w1")).isFalse();
    assertThat(record.state()).isEqualTo(OperationState.CANCELLED);
    assertThat(record.cancel()).isFalse();
  }

  @Test
  void progressCanOvertakeTheAssignmentAndFinalStatesNeverChange() throws Exception {
    OperationRecord record =
        store(100, Duration.ofDays(1)).create(OperationType.TRAINING, PARAMETERS);
    record.offer("w1", "i1", null);

    assertThat(record.progress(0.3, "training")).isTrue();
    assertThat(record.state()).isEqualTo(OperationState.RUNNING);
    assertThat(record.assigned("w1")).isFalse();
    assertThat(record.cancel()).isTrue();
    assertThat(record.state()).isEqualTo(OperationState.CANCELLING);
    assertThat(record.progress(0.5, "still going")).isTrue();
    assertThat(record.toJson().get("message")).isEqualTo("cancellation requested");
    assertThat(record.finish(OperationState.CANCELLED, null, "Cancelled on request")).isTrue();
    assertThat(record.finish(OperationState.COMPLETED, Map.of("x", 1), null)).isFalse();
    assertThat(record.progress(1, "late")).isFalse();
    assertThat(record.state()).isEqualTo(OperationState.CANCELLED);
  }

  @Test
  void aFailedWriteLeavesTheRecordAsItWas() {
    OperationRecord record =
        new OperationRecord(
            "op_backtest_000000000001",
            OperationType.BACKTEST,
            PARAMETERS,
            clock,
            r -> {
              throw ApiException.unavailable("database down");
            });

    assertThatThrownBy(() -> record.cancel()).isInstanceOf(ApiException.class);
    assertThat(record.state()).isEqualTo(OperationState.PENDING);
  }

  @Test
  void everyChangeIsStoredAndActiveOperationsComeBackAfterARestart() throws Exception {
    OperationStore first = store(100, Duration.ofDays(1));
    OperationRecord running = first.create(OperationType.BACKTEST, PARAMETERS);
    running.offer("w1", "i1", "trace");
    running.assigned("w1");
    running.progress(0.4, "simulating");
    OperationRecord done = first.create(OperationType.BACKTEST, PARAMETERS);
    done.finish(OperationState.FAILED, null, "boom");

    OperationStore second = store(100, Duration.ofDays(1));

    assertThat(second.active()).extracting(OperationRecord::id).containsExactly(running.id());
    OperationRecord reloaded = second.get(running.id()).orElseThrow();
    assertThat(reloaded.toJson()).isEqualTo(running.toJson());
    assertThat(reloaded.workerInstance()).isEqualTo("i1");
    assertThat(second.get(done.id()).orElseThrow().toJson().get("error")).isEqualTo("boom");
    assertThat(second.page(1, 0).operations()).hasSize(1);
    assertThat(second.page(1, 0).total()).isEqualTo(2);
  }

  @Test
  void theStoreIsBoundedByCountAndRetention() throws Exception {
    OperationStore store = store(10, Duration.ofHours(1));
    for (int i = 0; i < 25; i++) {
      OperationRecord record = store.create(OperationType.BACKTEST, PARAMETERS);
      record.finish(OperationState.FAILED, null, "done");
      clock.now = clock.now.plusSeconds(1);
    }
    assertThat(store.page(500, 0).total()).isLessThanOrEqualTo(10);

    clock.now = clock.now.plus(Duration.ofHours(2));
    OperationRecord fresh = store.create(OperationType.BACKTEST, PARAMETERS);
    store.purge();
    assertThat(store.page(500, 0).operations())
        .extracting(json -> json.get("operation_id"))
        .containsExactly(fresh.id());

    for (int i = 0; i < 9; i++) {
      store.create(OperationType.BACKTEST, PARAMETERS);
    }
    assertThatThrownBy(() -> store.create(OperationType.BACKTEST, PARAMETERS))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(503));
  }
}
