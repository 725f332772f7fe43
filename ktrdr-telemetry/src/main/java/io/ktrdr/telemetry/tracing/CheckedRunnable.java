package io.ktrdr.telemetry.tracing;

/** A block of code that may throw a checked exception. */
@FunctionalInterface
public interface CheckedRunnable<E extends Exception> {
  void run() throws E;
}
