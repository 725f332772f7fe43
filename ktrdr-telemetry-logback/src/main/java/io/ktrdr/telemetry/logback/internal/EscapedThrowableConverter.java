package io.ktrdr.telemetry.logback.internal;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %ktrdrEx} in the shipped text pattern: the stack trace on the event's own line, its line
 * breaks escaped ({@code \n\tat ...}), after one space; nothing without an exception. A multi-line
 * stack trace would be read as many events by line-based tools, and an exception message can carry
 * a caller's text.
 *
 * <p>Internal: registered by {@code logback-ktrdr.xml} with {@code <conversionRule>}.
 */
public final class EscapedThrowableConverter extends ThrowableProxyConverter {
  @Override
  public String convert(ILoggingEvent event) {
    String trace = super.convert(event);
    if (trace == null || trace.isEmpty()) {
      return "";
    }
    return " " + LineEscaper.escapeText(trace.strip());
  }
}
