package io.ktrdr.app.operations;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where an operation is in its life, and the moves allowed between states (the one state machine
 * that dispatch, progress, cancellation and reconciliation all go through):
 *
 * <pre>
 * PENDING    -> RUNNING (a worker accepted it or reported on it), CANCELLED (cancelled before a
 *               worker took it), FAILED (dispatch interrupted, reconciled)
 * RUNNING    -> CANCELLING (cancel asked), COMPLETED, FAILED, CANCELLED (the worker's final report,
 *               or reconciliation)
 * CANCELLING -> COMPLETED, FAILED, CANCELLED
 * COMPLETED, FAILED, CANCELLED: final, never change again
 * </pre>
 */
public enum OperationState {
  PENDING,
  RUNNING,
  CANCELLING,
  COMPLETED,
  FAILED,
  CANCELLED;

  private static final Map<OperationState, Set<OperationState>> NEXT =
      Map.of(
          PENDING, EnumSet.of(RUNNING, CANCELLED, FAILED),
          RUNNING, EnumSet.of(CANCELLING, COMPLETED, FAILED, CANCELLED),
          CANCELLING, EnumSet.of(COMPLETED, FAILED, CANCELLED),
          COMPLETED, EnumSet.noneOf(OperationState.class),
          FAILED, EnumSet.noneOf(OperationState.class),
          CANCELLED, EnumSet.noneOf(OperationState.class));

  public boolean isFinal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }

  /** Whether the machine allows moving from this state to {@code next}. */
  public boolean canMoveTo(OperationState next) {
    return NEXT.get(this).contains(next);
  }

  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a state stored or reported by code; {@link IllegalArgumentException} if unknown. */
  public static OperationState parse(String code) {
    for (OperationState state : values()) {
      if (state.code().equals(code)) {
        return state;
      }
    }
    throw new IllegalArgumentException(String.valueOf(code));
  }

  /** Parses a state a worker reports: running or final. */
  public static OperationState parseFinalOrRunning(String code) {
    OperationState state = parse(code);
    if (state.isFinal() || state == RUNNING) {
      return state;
    }
    throw new IllegalArgumentException(code);
  }
}
