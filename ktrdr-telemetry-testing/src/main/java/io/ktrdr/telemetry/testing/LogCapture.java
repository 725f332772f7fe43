package io.ktrdr.telemetry.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * Captures the events of one logback logger (and its children) while open: logback's own {@link
 * ListAppender}, attached on creation and detached on {@link #close()}, so that a
 * try-with-resources block cannot leave it behind. Needs logback as the SLF4J backend of the test.
 *
 * <pre>{@code
 * try (LogCapture logs = LogCapture.of(MyExporter.class)) {
 *   // ...
 *   assertThat(logs.messages(Level.WARN)).singleElement().asString().contains("collector");
 * }
 * }</pre>
 */
public final class LogCapture implements AutoCloseable {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogCapture(Logger logger) {
    this.logger = logger;
    appender.start();
    logger.addAppender(appender);
  }

  /** Captures the logger named after {@code type}. */
  public static LogCapture of(Class<?> type) {
    return new LogCapture((Logger) LoggerFactory.getLogger(type));
  }

  /** The events captured so far. */
  public List<ILoggingEvent> events() {
    return List.copyOf(appender.list);
  }

  /** The formatted messages captured so far at {@code level}. */
  public List<String> messages(ch.qos.logback.classic.Level level) {
    return events().stream()
        .filter(e -> e.getLevel() == level)
        .map(ILoggingEvent::getFormattedMessage)
        .collect(Collectors.toList());
  }

  /** Detaches the appender; what was captured stays readable. */
  @Override
  public void close() {
    logger.detachAppender(appender);
  }
}
