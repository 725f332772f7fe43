package io.ktrdr.telemetry.internal.errors;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failures inside telemetry code (recording, scraping, exporting), counted in {@code
 * ktrdr_telemetry_errors_total{component}} and logged rate-limited: a component's first failure
 * with its stack trace, then at most one line per {@link #LOG_INTERVAL} with the number of failures
 * since the last line. The known components start at zero, so the series exist (and alerts can use
 * {@code increase()}) before anything fails.
 *
 * <p>Internal: not part of the public API, may change without notice.
 */
public final class TelemetryErrors {
  private static final Logger logger = LoggerFactory.getLogger(TelemetryErrors.class);
  private static final AttributeKey<String> COMPONENT = AttributeKey.stringKey("component");

  /** The instrumentation scope of the library's own instruments. */
  public static final String SCOPE = "io.ktrdr.telemetry";

  /** At most one log line per component in this interval. */
  public static final Duration LOG_INTERVAL = Duration.ofMinutes(1);

  /** Recording HTTP server metrics or spans failed. */
  public static final String HTTP_SERVER_METRICS = "http-server-metrics";

  /** A scrape of {@code /metrics} failed. */
  public static final String METRICS_SCRAPE = "metrics-scrape";

  /** Exporting spans to the collector failed (a batch). */
  public static final String SPAN_EXPORT = "span-export";

  /** Exporting log records over OTLP failed (a batch). */
  public static final String LOG_EXPORT = "log-export";

  /** Pushing metrics over OTLP failed (a batch). */
  public static final String METRIC_EXPORT = "metric-export";

  /** Recording an operation's telemetry failed. */
  public static final String OPERATIONS = "operations";

  private static final String[] KNOWN = {
    HTTP_SERVER_METRICS, METRICS_SCRAPE, SPAN_EXPORT, LOG_EXPORT, METRIC_EXPORT, OPERATIONS
  };

  private final LongCounter counter;
  private final LongSupplier nanoTime;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  private static final class Entry {
    final Attributes attributes;
    final LongAdder count = new LongAdder();
    final AtomicLong unlogged = new AtomicLong();

    /** {@code nanoTime} of the last log line, or {@code Long.MIN_VALUE} when never logged. */
    final AtomicLong lastLogged = new AtomicLong(Long.MIN_VALUE);

    Entry(String component) {
      this.attributes = Attributes.of(COMPONENT, component);
    }
  }

  public TelemetryErrors(Meter meter, LongSupplier nanoTime) {
    this.counter =
        meter
            .counterBuilder("ktrdr.telemetry.errors")
            .setUnit("{error}")
            .setDescription(
                "Failures inside the telemetry library (recording, scraping, exporting).")
            .build();
    this.nanoTime = nanoTime;
    for (String component : KNOWN) {
      counter.add(0, entry(component).attributes);
    }
  }

  /**
   * Creates {@code ktrdr.telemetry.errors} on the library's meter of {@code openTelemetry}, with
   * the known components at 0. Instances on the same SDK share the counter.
   */
  public static TelemetryErrors create(OpenTelemetry openTelemetry) {
    return new TelemetryErrors(openTelemetry.getMeterProvider().get(SCOPE), System::nanoTime);
  }

  private Entry entry(String component) {
    return entries.computeIfAbsent(component, Entry::new);
  }

  /** Counts a failure of {@code component} and logs it, rate-limited. Never throws. */
  public void record(String component, @Nullable Throwable error) {
    try {
      Entry entry = count(entry(component));
      long now = nanoTime.getAsLong();
      long last = entry.lastLogged.get();
      boolean first = last == Long.MIN_VALUE;
      if (!first && now - last < LOG_INTERVAL.toNanos()) {
        entry.unlogged.incrementAndGet();
        return;
      }
      if (!entry.lastLogged.compareAndSet(last, now)) {
        entry.unlogged.incrementAndGet();
        return;
      }
      if (first) {
        logger.warn(
            "Telemetry component '{}' failed; the application is not affected. Further failures"
                + " are logged at most once a minute and counted in"
                + " ktrdr_telemetry_errors_total.",
            component,
            error);
      } else {
        logger.warn(
            "Telemetry component '{}' is still failing: {} more failures since the last report;"
                + " latest: {}",
            component,
            entry.unlogged.getAndSet(0) + 1,
            String.valueOf(error));
      }
    } catch (RuntimeException ignored) {
      // Reporting must never throw either.
    }
  }

  /** Counts a failure of {@code component} without logging (the caller reports it). */
  public void count(String component) {
    try {
      count(entry(component));
    } catch (RuntimeException ignored) {
      // Reporting must never throw either.
    }
  }

  private Entry count(Entry entry) {
    entry.count.increment();
    counter.add(1, entry.attributes);
    return entry;
  }

  /** How many failures {@code component} has had. */
  public long failures(String component) {
    Entry entry = entries.get(component);
    return entry == null ? 0 : entry.count.sum();
  }
}
