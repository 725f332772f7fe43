package io.ktrdr.telemetry.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import java.net.URL;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class KtrdrLogbackConfiguratorTest {

  private static ExecutionStatus configure(
      LoggerContext context, Map<String, URL> resources, Map<String, String> properties) {
    KtrdrLogbackConfigurator configurator =
        new KtrdrLogbackConfigurator(resources::get, properties::get);
    configurator.setContext(context);
    return configurator.configure(context);
  }

  @Test
  void withoutAnApplicationConfigurationTheShippedOneAppliesAtInfo() {
    LoggerContext context = new LoggerContext();

    ExecutionStatus status = configure(context, Map.of(), Map.of());

    assertThat(status).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertThat(root.getLevel()).isEqualTo(Level.INFO);
    assertThat(root.getAppender("KTRDR")).isNotNull();
    assertThat(context.getLogger("org.eclipse.jetty").getLevel()).isEqualTo(Level.WARN);
    context.stop();
  }

  @Test
  void anApplicationConfigurationAlwaysWins() throws Exception {
    URL someFile = new URL("file:/app/logback.xml");
    for (Map<String, URL> resources :
        java.util.List.of(Map.of("logback.xml", someFile), Map.of("logback-test.xml", someFile))) {
      LoggerContext context = new LoggerContext();
      assertThat(configure(context, resources, Map.of()))
          .isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
      assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext())
          .isFalse();
    }
    LoggerContext context = new LoggerContext();
    assertThat(configure(context, Map.of(), Map.of("logback.configurationFile", "/etc/log.xml")))
        .isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
  }

  @Test
  void logbackFindsItAsAService() {
    assertThat(ServiceLoader.load(ch.qos.logback.classic.spi.Configurator.class))
        .anyMatch(c -> c instanceof KtrdrLogbackConfigurator);
  }
}
