package io.ktrdr.telemetry.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What the tests rely on in {@link Await}, beyond what Awaitility does by default. */
class AwaitTest {

  @Test
  void aConditionThatHoldsIsCheckedOnceOnTheCallingThread() {
    Thread caller = Thread.currentThread();
    AtomicInteger calls = new AtomicInteger();
    Await.until(
        "the condition",
        Duration.ofSeconds(5),
        () -> {
          calls.incrementAndGet();
          return Thread.currentThread() == caller;
        });
    assertThat(calls).hasValue(1);
  }

  @Test
  void aValueIsPolledUntilAcceptedAndReturned() {
    AtomicInteger counter = new AtomicInteger();
    int value = Await.value("3", Duration.ofSeconds(5), counter::incrementAndGet, n -> n >= 3);
    assertThat(value).isEqualTo(3);
  }

  @Test
  void aTimeoutIsAnAssertionErrorNamingTheConditionAndTheLastValue() {
    assertThatThrownBy(
            () -> Await.value("a positive number", Duration.ofMillis(100), () -> -7, n -> n > 0))
        .isInstanceOf(AssertionError.class)
        .hasMessage("Timed out after PT0.1S waiting for: a positive number (last: -7)");
    assertThatThrownBy(() -> Await.until("never", Duration.ofMillis(100), () -> false))
        .isInstanceOf(AssertionError.class)
        .hasMessage("Timed out after PT0.1S waiting for: never");
  }
}
