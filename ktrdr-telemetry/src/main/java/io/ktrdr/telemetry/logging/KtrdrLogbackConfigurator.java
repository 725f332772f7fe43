package io.ktrdr.telemetry.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.net.URL;
import java.util.function.Function;

/**
 * Logback's fallback when the application has no logging configuration of its own: instead of
 * logback's default (every logger at DEBUG, which makes Jetty log each request), apply the shipped
 * {@code logback-ktrdr.xml} at INFO (JSON lines with trace ids, {@code KTRDR_LOG_FORMAT} and {@code
 * KTRDR_LOG_LEVEL} honoured). An application's {@code logback.xml}, {@code logback-test.xml} or
 * {@code -Dlogback.configurationFile} always wins: this configurator then steps aside. Registered
 * through {@code META-INF/services}.
 */
public final class KtrdrLogbackConfigurator extends ContextAwareBase implements Configurator {
  static final String DEFAULT_CONFIGURATION = "io/ktrdr/telemetry/logging/logback-default.xml";

  private final Function<String, URL> resources;
  private final Function<String, String> systemProperties;

  /** The instance logback's service loader creates. */
  public KtrdrLogbackConfigurator() {
    this(
        name -> {
          ClassLoader loader = Thread.currentThread().getContextClassLoader();
          return (loader != null ? loader : KtrdrLogbackConfigurator.class.getClassLoader())
              .getResource(name);
        },
        System::getProperty);
  }

  KtrdrLogbackConfigurator(
      Function<String, URL> resources, Function<String, String> systemProperties) {
    this.resources = resources;
    this.systemProperties = systemProperties;
  }

  /** Whether the application configures logback itself. */
  boolean applicationHasConfiguration() {
    return systemProperties.apply("logback.configurationFile") != null
        || resources.apply("logback-test.xml") != null
        || resources.apply("logback.xml") != null;
  }

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (applicationHasConfiguration()) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    URL configuration =
        KtrdrLogbackConfigurator.class.getClassLoader().getResource(DEFAULT_CONFIGURATION);
    if (configuration == null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    JoranConfigurator joran = new JoranConfigurator();
    joran.setContext(context);
    try {
      joran.doConfigure(configuration);
    } catch (JoranException e) {
      addError("ktrdr-telemetry's default logging configuration failed", e);
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
