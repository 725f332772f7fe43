package io.ktrdr.app.operations;

/** The kinds of long-running operation, and the worker type that runs each. */
public enum OperationType {
  BACKTEST("backtest", "backtesting", "/backtests/start"),
  TRAINING("training", "training", "/trainings/start");

  private final String code;
  private final String workerType;
  private final String startPath;

  OperationType(String code, String workerType, String startPath) {
    this.code = code;
    this.workerType = workerType;
    this.startPath = startPath;
  }

  /** The {@code operation_type} label and JSON value: {@code backtest}, {@code training}. */
  public String code() {
    return code;
  }

  /** The worker type that runs it: {@code backtesting}, {@code training}. */
  public String workerType() {
    return workerType;
  }

  /** The path, on both the API ({@code /api/v1} prefix) and the worker, that starts one. */
  public String startPath() {
    return startPath;
  }

  /** The type whose {@link #code()} is {@code code}. */
  public static OperationType forCode(String code) {
    for (OperationType type : values()) {
      if (type.code.equals(code)) {
        return type;
      }
    }
    throw new IllegalArgumentException("unknown operation type " + code);
  }

  public static OperationType forWorkerType(String workerType) {
    for (OperationType type : values()) {
      if (type.workerType.equals(workerType)) {
        return type;
      }
    }
    throw new IllegalArgumentException("unknown worker type " + workerType);
  }
}
