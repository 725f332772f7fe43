package io.ktrdr.telemetry;

import java.util.Locale;

/**
 * How histograms are aggregated and exposed to Prometheus.
 *
 * <pre>{@code
 * KtrdrTelemetry telemetry = KtrdrTelemetry.builder()
 *     .serviceName("ktrdr-api")
 *     .histogramMode(HistogramMode.BOTH)                                // the default
 *     .histogramMode("ktrdr.operation.duration", HistogramMode.CLASSIC) // one instrument
 *     .build();
 * }</pre>
 *
 * <p>See {@code docs/metrics.md#histogram-modes} for when to choose which mode and what each needs
 * from Prometheus.
 */
public enum HistogramMode {
  /**
   * Fixed buckets (the instrument's explicit bucket advice, else the SDK defaults): one {@code
   * _bucket} series per boundary, readable by every Prometheus in every exposition format.
   */
  CLASSIC,
  /**
   * Base-2 exponential buckets, exposed as a Prometheus native histogram: one series per label set
   * with high resolution. Only the protobuf exposition carries the buckets (Prometheus with native
   * histograms enabled); a text scrape sees the count, the sum and the {@code +Inf} bucket only.
   */
  NATIVE,
  /**
   * The native histogram, plus classic buckets at powers of two counted from its buckets: a
   * Prometheus that scrapes protobuf with native histograms enabled gets the native histogram; one
   * that scrapes text gets working classic buckets, from the same metric name.
   */
  BOTH;

  /**
   * The mode named {@code value}, case-insensitive ({@code classic}, {@code native}, {@code both}).
   */
  static HistogramMode parse(String value) {
    return valueOf(value.trim().toUpperCase(Locale.ROOT));
  }

  /** The configuration spelling of this mode. */
  String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
