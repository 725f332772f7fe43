package io.ktrdr.telemetry.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition, polling until a deadline: tests wait on what they check, not on time. */
public final class Await {
  private static final long POLL_MILLIS = 20;

  private Await() {}

  /** Returns as soon as {@code condition} holds; fails with {@code what} after {@code timeout}. */
  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("Timed out after " + timeout + " waiting for: " + what);
      }
      pause();
    }
  }

  /** Polls {@code value} until {@code accept} takes it, and returns it. */
  public static <T> T value(
      String what, Duration timeout, Supplier<T> value, java.util.function.Predicate<T> accept) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      T current = value.get();
      if (accept.test(current)) {
        return current;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "Timed out after " + timeout + " waiting for: " + what + " (last: " + current + ")");
      }
      pause();
    }
  }

  private static void pause() {
    try {
      Thread.sleep(POLL_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
