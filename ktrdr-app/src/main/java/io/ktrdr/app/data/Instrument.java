package io.ktrdr.app.data;

/** A tradable instrument. */
public record Instrument(String symbol, String name, String assetClass) {}
