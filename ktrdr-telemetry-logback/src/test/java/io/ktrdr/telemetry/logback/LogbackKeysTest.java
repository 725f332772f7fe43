package io.ktrdr.telemetry.logback;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.config.ConfigException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The keys the shipped configuration reads are validated where they are read: by {@link
 * KtrdrLogback#install}, word for word as docs/configuration.md gives the messages.
 */
class LogbackKeysTest {
  private static KtrdrTelemetry telemetry() {
    return KtrdrTelemetry.builder().serviceName("keys").environment(Map.of()).build();
  }

  @Test
  void aBadLogFormatFailsInstallNamingKeyValueAndWhatWasExpected() {
    try (KtrdrTelemetry telemetry = telemetry()) {
      assertThatThrownBy(
              () -> KtrdrLogback.install(telemetry, Map.of("KTRDR_LOG_FORMAT", "xml")::get))
          .isInstanceOf(ConfigException.class)
          .hasMessage("KTRDR_LOG_FORMAT=xml: expected one of json, text");
    }
  }

  @Test
  void aBadLogLevelFailsInstallNamingKeyValueAndWhatWasExpected() {
    try (KtrdrTelemetry telemetry = telemetry()) {
      assertThatThrownBy(
              () -> KtrdrLogback.install(telemetry, Map.of("KTRDR_LOG_LEVEL", "verbose")::get))
          .isInstanceOf(ConfigException.class)
          .hasMessage(
              "KTRDR_LOG_LEVEL=verbose: expected one of TRACE, DEBUG, INFO, WARN, ERROR, OFF");
    }
  }

  @Test
  void goodValuesInAnyCaseInstall() {
    try (KtrdrTelemetry telemetry = telemetry()) {
      assertThatCode(
              () -> {
                try (KtrdrLogback logging =
                    KtrdrLogback.install(
                        telemetry,
                        Map.of("KTRDR_LOG_FORMAT", "TEXT", "KTRDR_LOG_LEVEL", "debug")::get)) {
                  // installed and closed again
                }
              })
          .doesNotThrowAnyException();
    }
  }
}
