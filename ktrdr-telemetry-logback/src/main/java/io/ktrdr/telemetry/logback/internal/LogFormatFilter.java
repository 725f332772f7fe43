package io.ktrdr.telemetry.logback.internal;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Lets an appender write only when its format is the selected one ({@code KTRDR_LOG_FORMAT}). The
 * decision is taken once at start, so each event costs one field read. Used by the shipped
 * configuration, which attaches both the JSON and the text appender and lets this filter choose.
 */
public final class LogFormatFilter extends Filter<ILoggingEvent> {
  private String format = "json";
  private String selected = "json";
  private FilterReply reply = FilterReply.NEUTRAL;

  /** The format of the appender this filter guards: {@code json} or {@code text}. */
  public void setFormat(String format) {
    this.format = format;
  }

  /** The selected format, usually {@code ${KTRDR_LOG_FORMAT:-json}}. */
  public void setSelected(String selected) {
    this.selected = selected;
  }

  @Override
  public void start() {
    reply = format.equalsIgnoreCase(selected.trim()) ? FilterReply.NEUTRAL : FilterReply.DENY;
    super.start();
  }

  @Override
  public FilterReply decide(ILoggingEvent event) {
    return reply;
  }
}
