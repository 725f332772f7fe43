package io.ktrdr.telemetry.logback.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.BasicConfigurator;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.classic.util.DefaultJoranConfigurator;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class KtrdrLogbackConfiguratorTest {

  @Test
  void withoutAnApplicationConfigurationTheShippedOneAppliesAtInfo() {
    LoggerContext context = new LoggerContext();
    // This module's test classpath has a logback-test.xml: the lookup is told it found nothing.
    KtrdrLogbackConfigurator configurator = new KtrdrLogbackConfigurator(ctx -> false);
    configurator.setContext(context);

    ExecutionStatus status = configurator.configure(context);

    assertThat(status).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertThat(root.getLevel()).isEqualTo(Level.INFO);
    assertThat(root.getAppender("KTRDR")).isNotNull();
    assertThat(context.getLogger("org.eclipse.jetty").getLevel()).isEqualTo(Level.WARN);
    context.stop();
  }

  @Test
  void itRanksLastSoThatTheApplicationsOwnConfiguratorRunsFirst() {
    assertThat(rank(KtrdrLogbackConfigurator.class))
        .isLessThan(rank(DefaultJoranConfigurator.class))
        .isEqualTo(rank(BasicConfigurator.class));
  }

  @Test
  void anApplicationConfigurationWins() throws Exception {
    // This module's test classpath has a logback-test.xml (appender CONSOLE): logback uses it.
    LoggerContext context = new LoggerContext();
    new ContextInitializer(context).autoConfig();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    java.util.List<String> names = new java.util.ArrayList<>();
    root.iteratorForAppenders().forEachRemaining(a -> names.add(a.getName()));
    assertThat(names)
        .as(context.getStatusManager().getCopyOfStatusList().toString())
        .contains("CONSOLE");
    assertThat(root.getAppender("KTRDR")).isNull();
    context.stop();
  }

  @Test
  void logbackFindsItAsAService() {
    assertThat(ServiceLoader.load(Configurator.class))
        .anyMatch(c -> c instanceof KtrdrLogbackConfigurator);
  }

  private static int rank(Class<?> type) {
    return type.getAnnotation(ConfiguratorRank.class).value();
  }
}
