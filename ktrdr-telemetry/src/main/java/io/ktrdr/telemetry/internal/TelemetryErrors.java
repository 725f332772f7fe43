package io.ktrdr.telemetry.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failures inside telemetry code (recording, scraping, exporting): each component's first failure
 * is logged with its stack trace, every failure is counted in {@code
 * ktrdr_telemetry_errors_total{component}}. The known components start at zero, so the series exist
 * (and alerts can use {@code increase()}) before anything fails.
 *
 * <p>Internal: not part of the public API, may change without notice.
 */
public final class TelemetryErrors {
  private static final Logger logger = LoggerFactory.getLogger(TelemetryErrors.class);
  private static final AttributeKey<String> COMPONENT = AttributeKey.stringKey("component");

  /** Components that report here; their series start at zero. */
  public static final String HTTP_SERVER_METRICS = "http-server-metrics";

  /** A scrape of {@code /metrics} failed. */
  public static final String METRICS_SCRAPE = "metrics-scrape";

  /** Exporting spans to the collector failed (logged per outage by the exporter wrapper). */
  public static final String SPAN_EXPORT = "span-export";

  /** Recording an operation's telemetry failed. */
  public static final String OPERATIONS = "operations";

  private final LongCounter counter;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  private static final class Entry {
    final Attributes attributes;
    final LongAdder count = new LongAdder();
    volatile boolean logged;

    Entry(String component) {
      this.attributes = Attributes.of(COMPONENT, component);
    }
  }

  private TelemetryErrors(LongCounter counter) {
    this.counter = counter;
  }

  /** Creates {@code ktrdr.telemetry.errors} on {@code meter}, with the known components at 0. */
  public static TelemetryErrors create(Meter meter) {
    LongCounter counter =
        meter
            .counterBuilder("ktrdr.telemetry.errors")
            .setUnit("{error}")
            .setDescription(
                "Failures inside the telemetry library (recording, scraping, exporting).")
            .build();
    TelemetryErrors errors = new TelemetryErrors(counter);
    for (String component :
        new String[] {HTTP_SERVER_METRICS, METRICS_SCRAPE, SPAN_EXPORT, OPERATIONS}) {
      errors.counter.add(0, errors.entry(component).attributes);
    }
    return errors;
  }

  private Entry entry(String component) {
    return entries.computeIfAbsent(component, Entry::new);
  }

  /** Counts a failure of {@code component}; logs it if it is that component's first. */
  public void record(String component, Throwable error) {
    try {
      Entry entry = entry(component);
      entry.count.increment();
      counter.add(1, entry.attributes);
      if (!entry.logged) {
        entry.logged = true;
        logger.warn(
            "Telemetry component '{}' failed; the application is not affected. Further failures"
                + " of this component are only counted in ktrdr_telemetry_errors_total.",
            component,
            error);
      }
    } catch (RuntimeException ignored) {
      // Reporting must never throw either.
    }
  }

  /** Counts a failure of {@code component} without logging (the caller reports it). */
  public void count(String component) {
    try {
      Entry entry = entry(component);
      entry.count.increment();
      counter.add(1, entry.attributes);
    } catch (RuntimeException ignored) {
      // Reporting must never throw either.
    }
  }

  /** How many failures {@code component} has had. */
  public long failures(String component) {
    Entry entry = entries.get(component);
    return entry == null ? 0 : entry.count.sum();
  }
}
