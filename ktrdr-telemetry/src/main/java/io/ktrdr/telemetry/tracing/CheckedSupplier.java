package io.ktrdr.telemetry.tracing;

/** A block of code that returns a value and may throw a checked exception. */
@FunctionalInterface
public interface CheckedSupplier<T, E extends Exception> {
  T get() throws E;
}
