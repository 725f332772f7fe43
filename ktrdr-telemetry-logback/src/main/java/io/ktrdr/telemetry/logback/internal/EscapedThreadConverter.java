package io.ktrdr.telemetry.logback.internal;

import ch.qos.logback.classic.pattern.ThreadConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %ktrdrThread} in the shipped text pattern: the thread's name, escaped as a quoted value is
 * ({@link LineEscaper#escapeQuoted}); a thread may be named from input (a job, a request), and a
 * line break in its name would otherwise start a forged event.
 *
 * <p>Internal: registered by {@code logback-ktrdr.xml} with {@code <conversionRule>}.
 */
public final class EscapedThreadConverter extends ThreadConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return LineEscaper.escapeQuoted(super.convert(event));
  }
}
