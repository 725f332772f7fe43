package io.ktrdr.app.data;

import java.time.Instant;

/** One OHLCV bar. */
public record Bar(
    Instant timestamp, double open, double high, double low, double close, long volume) {}
