package io.ktrdr.telemetry.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Waits for a condition, so that tests wait on what they check and not on time: a thin wrapper
 * around <a href="http://www.awaitility.org">Awaitility</a> with this project's defaults.
 *
 * <pre>{@code
 * Await.until("the span to arrive", Duration.ofSeconds(10), () -> !receiver.spans().isEmpty());
 * String body = Await.value("a 200", Duration.ofSeconds(5), () -> Http.get(url), r -> r.statusCode() == 200).body();
 * }</pre>
 *
 * <p>What it adds to a bare {@code Awaitility.await(what).atMost(timeout).until(...)}: the
 * condition is evaluated on the calling thread (Awaitility's default is a thread of its own), the
 * first evaluation is immediate, it is polled every 20 ms, and a timeout is an {@link
 * AssertionError} naming {@code what} (and the last value), as other test failures are. Tests that
 * need more of Awaitility (ignored exceptions, {@code untilAsserted}) call it directly.
 */
public final class Await {
  private static final Duration POLL = Duration.ofMillis(20);

  private Await() {}

  /** Returns as soon as {@code condition} holds; fails with {@code what} after {@code timeout}. */
  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    try {
      factory(what, timeout).until(condition::getAsBoolean);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("Timed out after " + timeout + " waiting for: " + what, e);
    }
  }

  /** Polls {@code value} until {@code accept} takes it, and returns it. */
  public static <T> T value(
      String what, Duration timeout, Supplier<T> value, Predicate<? super T> accept) {
    Object[] last = new Object[1];
    try {
      return factory(what, timeout)
          .until(
              () -> {
                T current = value.get();
                last[0] = current;
                return current;
              },
              accept::test);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "Timed out after " + timeout + " waiting for: " + what + " (last: " + last[0] + ")", e);
    }
  }

  private static ConditionFactory factory(String what, Duration timeout) {
    return Awaitility.await(what)
        .atMost(timeout)
        .pollInSameThread()
        .pollDelay(Duration.ZERO)
        .pollInterval(POLL);
  }
}
