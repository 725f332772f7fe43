package io.ktrdr.telemetry.internal.scrape;

/**
 * An exchange whose request arrived before the handler ran (queued): its scrape budget starts then.
 *
 * <p>Internal: implemented by the metrics server, read by {@code MetricsHandler}. Not part of the
 * API; it may change or disappear in any release.
 */
public interface ReceivedExchange {
  /** {@link System#nanoTime()} when the request was complete. */
  long receivedNanos();
}
