package io.ktrdr.telemetry.config;

/**
 * Thrown at start-up when a configuration value is invalid. The message names the key, the value
 * and what was expected, for example {@code KTRDR_METRICS_PORT=abc: expected a port number
 * 1-65535}. Secret values are never repeated in the message.
 */
public final class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String key;

  ConfigException(String key, String message) {
    super(message);
    this.key = key;
  }

  /** The configuration key whose value was rejected, e.g. {@code KTRDR_METRICS_PORT}. */
  public String key() {
    return key;
  }
}
