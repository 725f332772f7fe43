package io.ktrdr.app.operations;

import java.util.Locale;

/** Where an operation is in its life. The last three are final. */
public enum OperationState {
  PENDING,
  RUNNING,
  CANCELLING,
  COMPLETED,
  FAILED,
  CANCELLED;

  public boolean isFinal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }

  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a final state reported by a worker. */
  public static OperationState parseFinalOrRunning(String code) {
    for (OperationState state : values()) {
      if (state.code().equals(code) && (state.isFinal() || state == RUNNING)) {
        return state;
      }
    }
    throw new IllegalArgumentException(code);
  }
}
