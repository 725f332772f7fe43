package io.ktrdr.telemetry.logback.internal;

import ch.qos.logback.classic.pattern.MDCConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %ktrdrMdc{key:-default}} in the shipped text pattern: {@code %X}, escaped as a quoted
 * value is ({@link LineEscaper#escapeQuoted}). MDC values come from callers (an operation id given
 * to {@code OperationTracker.start}), and unescaped, an id holding a line break and a timestamp
 * would forge a whole event, or a quote a key-value pair.
 *
 * <p>Internal: registered by {@code logback-ktrdr.xml} with {@code <conversionRule>}.
 */
public final class EscapedMdcConverter extends MDCConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return LineEscaper.escapeQuoted(super.convert(event));
  }
}
