package io.ktrdr.telemetry.tracing;

import org.jspecify.annotations.Nullable;

/** A block of code that returns a value and may throw a checked exception. */
@FunctionalInterface
public interface CheckedSupplier<T extends @Nullable Object, E extends Exception> {
  T get() throws E;
}
