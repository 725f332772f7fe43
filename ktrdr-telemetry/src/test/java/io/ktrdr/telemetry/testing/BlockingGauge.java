package io.ktrdr.telemetry.testing;

import io.opentelemetry.api.metrics.Meter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An asynchronous gauge whose callback, once {@link #block()} is called, blocks (30 s at most)
 * until {@link #release()}: the slow callback of issue 19, held by a latch instead of a sleep.
 */
public final class BlockingGauge implements AutoCloseable {
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicBoolean blocking = new AtomicBoolean();
  private final AtomicInteger blocked = new AtomicInteger();

  private BlockingGauge() {}

  /** Registers the gauge {@code name} on {@code meter}; it records {@code value}. */
  public static BlockingGauge register(Meter meter, String name, double value) {
    BlockingGauge gauge = new BlockingGauge();
    meter
        .gaugeBuilder(name)
        .buildWithCallback(
            measurement -> {
              if (gauge.blocking.get()) {
                gauge.blocked.incrementAndGet();
                try {
                  gauge.release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
              measurement.record(value);
            });
    return gauge;
  }

  /** From now on, callbacks block until {@link #release()}. */
  public void block() {
    blocking.set(true);
  }

  /** How many callbacks have blocked. */
  public int blockedCallbacks() {
    return blocked.get();
  }

  /** Waits until a callback is blocked. */
  public void awaitBlocked(Duration timeout) {
    Await.until("a callback to block", timeout, () -> blocked.get() > 0);
  }

  /** Lets blocked callbacks return, and later ones not block. */
  public void release() {
    blocking.set(false);
    release.countDown();
  }

  @Override
  public void close() {
    release();
  }
}
