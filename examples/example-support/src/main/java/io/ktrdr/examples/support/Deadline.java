package io.ktrdr.examples.support;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** Polls a condition until it holds or a deadline passes; the tests' only way to wait. */
public final class Deadline {
  private static final long POLL_MILLIS = 50;

  private Deadline() {}

  /**
   * Calls {@code probe} until it returns a present value, and returns that value.
   *
   * @throws AssertionError naming {@code what} when {@code timeout} passes first
   */
  public static <T> T await(String what, Duration timeout, Supplier<Optional<T>> probe) {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<T> value = probe.get();
      if (value.isPresent()) {
        return value.get();
      }
      if (System.nanoTime() - end > 0) {
        throw new AssertionError(
            "Timed out after " + timeout.toSeconds() + " s waiting for " + what);
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("Interrupted while waiting for " + what, e);
      }
    }
  }
}
