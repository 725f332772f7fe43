package io.ktrdr.telemetry.logback.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.LoggingEvent;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

/**
 * The text format's escaping runs for every event: a clean key costs no regular expression, an
 * escaped character no {@code String.format}. Measured as the bytes the converting thread
 * allocates, which (unlike time) does not depend on the machine's load.
 */
class EscapingAllocationTest {
  private static final int ROUNDS = 2_000;

  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  @Test
  void cleanKeysAreNotRunThroughARegularExpression() {
    EscapedKeyValueConverter converter = new EscapedKeyValueConverter();
    LoggingEvent event = new LoggingEvent();
    event.setKeyValuePairs(
        List.of(
            new KeyValuePair("operation.type", "backtest"),
            new KeyValuePair("bars", 3),
            new KeyValuePair("worker_id", "w-1"),
            new KeyValuePair("status-code", 200)));
    String expected =
        "operation.type=\"backtest\" bars=\"3\" worker_id=\"w-1\" status-code=\"200\"";
    for (int i = 0; i < ROUNDS; i++) {
      assertThat(converter.convert(event)).isEqualTo(expected);
    }
    long before = allocatedBytes();
    for (int i = 0; i < ROUNDS; i++) {
      converter.convert(event);
    }
    long perEvent = (allocatedBytes() - before) / ROUNDS;
    // Measured: 440 bytes (the output and its builder); 5,272 with a Pattern compiled per key.
    assertThat(perEvent).as("bytes allocated per event").isLessThan(1_500);
  }

  @Test
  void escapedCharactersAreNotFormattedOneByOne() {
    String controls = "\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u000b\u000c\u000e".repeat(10);
    String expected = "\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\u000b\\u000c\\u000e";
    for (int i = 0; i < ROUNDS; i++) {
      assertThat(LineEscaper.escapeText(controls)).isEqualTo(expected.repeat(10));
    }
    long before = allocatedBytes();
    for (int i = 0; i < ROUNDS; i++) {
      LineEscaper.escapeText(controls);
    }
    long perCall = (allocatedBytes() - before) / ROUNDS;
    // Measured: 2,504 bytes (the output and its builder); 68,904 with String.format per escape.
    assertThat(perCall).as("bytes allocated per 100 escapes").isLessThan(8_000);
  }

  @Test
  void aKeyKeepsLettersDigitsUnderscoresDotsAndDashesOnly() {
    for (String key :
        List.of("clean.key_1-a", "a b", "q\"x=\"1", "\u00e9t\u00e9", "line\nbreak", "")) {
      assertThat(EscapedKeyValueConverter.cleanKey(key))
          .as(key)
          .isEqualTo(key.replaceAll("[^A-Za-z0-9_.-]", "_"));
    }
    String clean = "operation.type";
    assertThat(EscapedKeyValueConverter.cleanKey(clean)).isSameAs(clean);
  }
}
