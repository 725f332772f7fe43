package io.ktrdr.telemetry.logback.internal;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.util.DefaultJoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.net.URL;
import java.util.function.Predicate;

/**
 * Logback's fallback when the application has no logging configuration of its own: instead of
 * logback's {@code BasicConfigurator} (every logger at DEBUG, so Jetty logs each request), apply
 * the shipped {@code logback-ktrdr.xml} at {@code KTRDR_LOG_LEVEL} (default INFO).
 *
 * <p>Logback asks configurators found as services before its own file lookup, so this one asks
 * logback's {@link DefaultJoranConfigurator} whether it would find {@code logback.xml}, {@code
 * logback-test.xml} or {@code -Dlogback.configurationFile}, and steps aside when it would: an
 * application's configuration always wins, and the lookup stays logback's. Its rank is the lowest,
 * so an application's own configurator service runs before it.
 *
 * <p>Internal: registered through {@code META-INF/services}, not part of the public API.
 */
@ConfiguratorRank(KtrdrLogbackConfigurator.RANK)
public final class KtrdrLogbackConfigurator extends ContextAwareBase implements Configurator {
  /** Last among configurator services. */
  static final int RANK = ConfiguratorRank.FALLBACK;

  static final String DEFAULT_CONFIGURATION = "io/ktrdr/telemetry/logging/logback-default.xml";

  private final Predicate<LoggerContext> applicationConfigured;

  /** The instance logback's service loader creates. */
  public KtrdrLogbackConfigurator() {
    this(KtrdrLogbackConfigurator::logbackFindsAConfiguration);
  }

  KtrdrLogbackConfigurator(Predicate<LoggerContext> applicationConfigured) {
    this.applicationConfigured = applicationConfigured;
  }

  // Deprecated in 1.5 without a public replacement; it is logback's own lookup, so it stays exact.
  @SuppressWarnings("deprecation")
  private static boolean logbackFindsAConfiguration(LoggerContext context) {
    DefaultJoranConfigurator lookup = new DefaultJoranConfigurator();
    lookup.setContext(context);
    return lookup.findURLOfDefaultConfigurationFile(false) != null;
  }

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (applicationConfigured.test(context)) {
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
