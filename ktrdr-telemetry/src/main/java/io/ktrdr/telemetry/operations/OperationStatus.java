package io.ktrdr.telemetry.operations;

/** How an operation ended; the {@code status} label of the operation metrics. */
public enum OperationStatus {
  COMPLETED("completed"),
  FAILED("failed"),
  CANCELLED("cancelled");

  private final String label;

  OperationStatus(String label) {
    this.label = label;
  }

  /** The label value: {@code completed}, {@code failed} or {@code cancelled}. */
  public String label() {
    return label;
  }
}
