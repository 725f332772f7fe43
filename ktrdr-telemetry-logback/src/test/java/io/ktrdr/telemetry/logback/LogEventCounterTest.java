package io.ktrdr.telemetry.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.Appender;
import io.ktrdr.telemetry.logback.internal.LogEventCounter;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.Scrape;
import io.opentelemetry.api.OpenTelemetry;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code ktrdr_log_events_total{level}}: what {@link KtrdrLogback#install} counts. */
class LogEventCounterTest {
  private static final Logger logger = LoggerFactory.getLogger("io.ktrdr.test.Counted");

  private static double count(LoggingApp app, String level) {
    return Scrape.parse(Http.get(app.url("/metrics")).body())
        .value("ktrdr_log_events_total", Map.of("level", level));
  }

  private static List<String> rootAppenders() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    List<String> names = new ArrayList<>();
    Iterator<Appender<ch.qos.logback.classic.spi.ILoggingEvent>> it =
        context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
    it.forEachRemaining(a -> names.add(a.getName()));
    return names;
  }

  @Test
  void everyLevelIsCountedFromZeroWhateverTheApiAndDisabledCallsAreNot() {
    try (LoggingApp app =
            LoggingApp.start(builder -> builder.serviceName("counted"), (config, telemetry) -> {});
        KtrdrLogback logging = KtrdrLogback.install(app.telemetry)) {
      for (String level : List.of("error", "warn", "info", "debug", "trace")) {
        assertThat(count(app, level)).as(level).isZero();
      }
      logger.error("classic error {}", 1);
      logger.atError().addKeyValue("k", "v").log("fluent error");
      logger.warn("a warning");
      logger.info("an info line");
      logger.atInfo().log("a fluent info line");
      // The test configuration's root level is INFO: these are not logged, so not counted.
      logger.debug("disabled");
      logger.atDebug().log("disabled too");
      logger.trace("disabled");

      assertThat(count(app, "error")).isEqualTo(2);
      assertThat(count(app, "warn")).isEqualTo(1);
      // Other loggers (the server's, the telemetry's own) may add info lines: at least ours.
      assertThat(count(app, "info")).isGreaterThanOrEqualTo(2);
      assertThat(count(app, "debug")).isZero();
      assertThat(count(app, "trace")).isZero();
    }
  }

  @Test
  void closeRemovesTheAppenderAndTheSeriesAndAReconfigurationKeepsCounting() throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    try (LoggingApp app =
        LoggingApp.start(builder -> builder.serviceName("counted"), (config, telemetry) -> {})) {
      KtrdrLogback logging = KtrdrLogback.install(app.telemetry);
      assertThat(rootAppenders()).contains("KTRDR_LOG_EVENTS");

      // A reconfiguration (what scan="true" does) detaches every root appender.
      context.reset();
      new ContextInitializer(context).autoConfig();
      logger.error("after a reset");
      assertThat(rootAppenders()).containsOnlyOnce("KTRDR_LOG_EVENTS");
      assertThat(count(app, "error")).isEqualTo(1);

      logging.close();
      assertThat(rootAppenders()).doesNotContain("KTRDR_LOG_EVENTS").isNotEmpty();
      assertThat(context.getCopyOfListenerList())
          .noneMatch(l -> l.getClass().getName().contains("LogEventCounter"));
      logger.error("after close");
      assertThat(Scrape.parse(Http.get(app.url("/metrics")).body()).types())
          .doesNotContainKey("ktrdr_log_events");
      // A reset after close does not bring it back.
      context.reset();
      new ContextInitializer(context).autoConfig();
      assertThat(rootAppenders()).doesNotContain("KTRDR_LOG_EVENTS");
    }
  }

  @Test
  void countingAnEventAllocatesNothing() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    LoggingEvent event =
        new LoggingEvent(
            Logger.class.getName(),
            context.getLogger("io.ktrdr.test.Allocation"),
            Level.ERROR,
            "boom",
            null,
            null);
    try (LogEventCounter counter = LogEventCounter.install(context, OpenTelemetry.noop())) {
      for (int i = 0; i < 20_000; i++) {
        counter.doAppend(event); // warm up
      }
      long thread = Thread.currentThread().getId();
      long before = threads.getThreadAllocatedBytes(thread);
      for (int i = 0; i < 100_000; i++) {
        counter.doAppend(event);
      }
      long allocated = threads.getThreadAllocatedBytes(thread) - before;
      System.out.println(
          "LogEventCounterTest: 100,000 events counted with " + allocated + " bytes");
      // The measurement itself may allocate a few hundred bytes; per event it is zero.
      assertThat(allocated).as("bytes for 100,000 events").isLessThan(10_000);
    }
  }
}
