package io.ktrdr.telemetry.logback.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggerContextListener;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.ObservableLongCounter;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the log events that reach the root logger, by level, as {@code ktrdr.log.events} ({@code
 * ktrdr_log_events_total{level}} in Prometheus), so that a rise of errors can alert without a log
 * store.
 *
 * <p>An appender on the root logger rather than a turbo filter: logback calls turbo filters before
 * the level check (so they would see disabled calls) and not at all for SLF4J's fluent API ({@code
 * logger.atInfo()...log()}), which the reference app uses. An appender sees each event that is
 * logged exactly once, whatever API made it. Events of a logger with {@code additivity="false"}
 * that never reach the root are not counted.
 *
 * <p>Per event: one {@link LongAdder} increment, nothing allocated, nothing that can throw. The
 * counter is observed at collection, with all five levels present from the start (at 0), so that
 * {@code rate()} and {@code increase()} see the first error.
 *
 * <p>{@link LoggerContext#reset()} (a reconfiguration, {@code scan="true"}) detaches every root
 * appender; a reset-resistant context listener attaches this one again. {@link #close()} removes
 * the appender, the listener and the callback.
 *
 * <p>Internal: not part of the public API.
 */
public final class LogEventCounter extends UnsynchronizedAppenderBase<ILoggingEvent>
    implements AutoCloseable {
  static final String NAME = "KTRDR_LOG_EVENTS";
  static final AttributeKey<String> LEVEL = AttributeKey.stringKey("level");
  private static final String SCOPE = "io.ktrdr.telemetry.logback";

  private final LongAdder error = new LongAdder();
  private final LongAdder warn = new LongAdder();
  private final LongAdder info = new LongAdder();
  private final LongAdder debug = new LongAdder();
  private final LongAdder trace = new LongAdder();
  private final LoggerContext context;
  private final Reattach reattach = new Reattach();
  private final ObservableLongCounter observed;

  private LogEventCounter(LoggerContext context, OpenTelemetry openTelemetry) {
    this.context = context;
    Attributes errorLevel = Attributes.of(LEVEL, "error");
    Attributes warnLevel = Attributes.of(LEVEL, "warn");
    Attributes infoLevel = Attributes.of(LEVEL, "info");
    Attributes debugLevel = Attributes.of(LEVEL, "debug");
    Attributes traceLevel = Attributes.of(LEVEL, "trace");
    this.observed =
        openTelemetry
            .getMeterProvider()
            .get(SCOPE)
            .counterBuilder("ktrdr.log.events")
            .setUnit("{event}")
            .setDescription("Log events that reached the root logger, by level.")
            .buildWithCallback(
                measurement -> {
                  measurement.record(error.sum(), errorLevel);
                  measurement.record(warn.sum(), warnLevel);
                  measurement.record(info.sum(), infoLevel);
                  measurement.record(debug.sum(), debugLevel);
                  measurement.record(trace.sum(), traceLevel);
                });
  }

  /** Starts counting the events of {@code context} on {@code openTelemetry}'s meters. */
  public static LogEventCounter install(LoggerContext context, OpenTelemetry openTelemetry) {
    LogEventCounter counter = new LogEventCounter(context, openTelemetry);
    counter.setName(NAME);
    counter.setContext(context);
    counter.start();
    counter.attach();
    context.addListener(counter.reattach);
    return counter;
  }

  private void attach() {
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (root.getAppender(NAME) != this) {
      root.addAppender(this);
    }
  }

  @Override
  protected void append(ILoggingEvent event) {
    switch (event.getLevel().toInt()) {
      case Level.ERROR_INT:
        error.increment();
        break;
      case Level.WARN_INT:
        warn.increment();
        break;
      case Level.INFO_INT:
        info.increment();
        break;
      case Level.DEBUG_INT:
        debug.increment();
        break;
      default:
        trace.increment();
        break;
    }
  }

  /** Stops counting: the appender, its reset listener and the metric callback are removed. */
  @Override
  public void close() {
    context.removeListener(reattach);
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(this);
    stop();
    observed.close();
  }

  /** Attaches the counter again after a reset (which detaches every root appender). */
  private final class Reattach implements LoggerContextListener {
    @Override
    public boolean isResetResistant() {
      return true;
    }

    @Override
    public void onStart(LoggerContext context) {}

    @Override
    public void onReset(LoggerContext context) {
      if (!isStarted()) {
        start();
      }
      attach();
    }

    @Override
    public void onStop(LoggerContext context) {}

    @Override
    public void onLevelChange(Logger logger, Level level) {}
  }
}
