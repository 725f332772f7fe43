package io.ktrdr.telemetry.logback.internal;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %ktrdrMsg} in the shipped text pattern: the formatted message, with line breaks and
 * control characters escaped ({@link LineEscaper}), so that a value logged in a message cannot
 * start a line that looks like another event.
 *
 * <p>Internal: registered by {@code logback-ktrdr.xml} with {@code <conversionRule>}, which keeps
 * the word to that configuration; logback's global converter map is not touched.
 */
public final class EscapedMessageConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    return message == null ? "" : LineEscaper.escapeText(message);
  }
}
