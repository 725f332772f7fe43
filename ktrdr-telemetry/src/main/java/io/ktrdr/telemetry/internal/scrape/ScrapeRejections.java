package io.ktrdr.telemetry.internal.scrape;

import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes and metrics-server connections refused so that a busy or hostile client cannot take the
 * endpoint down: counted in {@code ktrdr_telemetry_scrapes_rejected_total{reason}} (every reason
 * starts at 0) and logged at most once a minute per reason, with the number since the last line.
 */
public final class ScrapeRejections {
  private static final Logger logger = LoggerFactory.getLogger(ScrapeRejections.class);
  private static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");

  /** Why a scrape or a connection was refused; the label values are in {@code docs/metrics.md}. */
  public enum Reason {
    /** As many scrapes as allowed were in progress: {@code 503} at once. */
    BUSY("busy"),
    /** The collection did not finish within the scrape's budget: {@code 503}. */
    TIMEOUT("timeout"),
    /** The standalone server was at its connection limit: a connection closed. */
    CONNECTION_LIMIT("connection_limit"),
    /** A request head was not complete by the header deadline: {@code 408}, closed. */
    HEADER_TIMEOUT("header_timeout"),
    /** A request head larger than allowed: {@code 431}, closed. */
    HEADER_TOO_LARGE("header_too_large"),
    /** A request the standalone server does not accept (malformed, a body): {@code 400}, closed. */
    BAD_REQUEST("bad_request"),
    /** A client that did not read its response by the write deadline, or too slowly: closed. */
    WRITE_TIMEOUT("write_timeout"),
    /**
     * The standalone server held as many response bytes as allowed for slow clients: {@code 503}.
     */
    BUFFER_LIMIT("buffer_limit");

    private final String label;

    Reason(String label) {
      this.label = label;
    }

    String label() {
      return label;
    }
  }

  private final LongCounter counter;
  private final Map<Reason, Entry> entries = new EnumMap<>(Reason.class);

  private static final class Entry {
    final Attributes attributes;
    final AtomicLong unlogged = new AtomicLong();
    final AtomicLong lastLogged = new AtomicLong(Long.MIN_VALUE);

    Entry(Reason reason) {
      this.attributes = Attributes.of(REASON, reason.label());
    }
  }

  public ScrapeRejections(OpenTelemetry openTelemetry) {
    this.counter =
        openTelemetry
            .getMeterProvider()
            .get(TelemetryErrors.SCOPE)
            .counterBuilder("ktrdr.telemetry.scrapes.rejected")
            .setUnit("{scrape}")
            .setDescription(
                "Scrapes answered 503 and metrics-server connections closed to keep /metrics"
                    + " available.")
            .build();
    for (Reason reason : Reason.values()) {
      Entry entry = new Entry(reason);
      entries.put(reason, entry);
      counter.add(0, entry.attributes);
    }
  }

  /** Counts one rejection; {@code detail} adds to the log line when one is due. Never throws. */
  public void record(Reason reason, Supplier<@Nullable String> detail) {
    try {
      Entry entry = entries.get(reason);
      if (entry == null) {
        return;
      }
      counter.add(1, entry.attributes);
      long now = System.nanoTime();
      long last = entry.lastLogged.get();
      boolean due = last == Long.MIN_VALUE || now - last >= TelemetryErrors.LOG_INTERVAL.toNanos();
      if (!due || !entry.lastLogged.compareAndSet(last, now)) {
        entry.unlogged.incrementAndGet();
        return;
      }
      String more = detail.get();
      logger.warn(
          "Metrics endpoint: {} refused ({} since the last report), counted in"
              + " ktrdr_telemetry_scrapes_rejected_total{reason=\"{}\"}{}",
          describe(reason),
          entry.unlogged.getAndSet(0) + 1,
          reason.label(),
          more == null ? "" : "; " + more);
    } catch (RuntimeException ignored) {
      // Counting must never fail a request.
    }
  }

  public void record(Reason reason) {
    record(reason, () -> null);
  }

  private static String describe(Reason reason) {
    return switch (reason) {
      case BUSY -> "a scrape while the most allowed were in progress was";
      case TIMEOUT -> "a scrape whose budget ran out before the collection finished was";
      case CONNECTION_LIMIT -> "a connection at the connection limit was";
      case HEADER_TIMEOUT -> "a connection whose request head did not end in time was";
      case HEADER_TOO_LARGE -> "a request head over the size limit was";
      case BAD_REQUEST -> "a malformed request or one with a body was";
      case WRITE_TIMEOUT -> "a client that did not read its response in time was";
      case BUFFER_LIMIT -> "a scrape while too many responses waited for slow clients was";
    };
  }
}
