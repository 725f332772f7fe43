package io.ktrdr.telemetry.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Typed, validated reads of configuration keys from a map of environment variables. Every method
 * fails with a {@link ConfigException} naming the key, the value and what was expected, so that a
 * bad deployment fails at start-up instead of at the first request.
 *
 * <pre>{@code
 * EnvConfig env = EnvConfig.fromSystem();
 * int port = env.port("KTRDR_PORT").orElse(8000);
 * boolean jvm = env.bool("KTRDR_JVM_METRICS_ENABLED").orElse(true);
 * }</pre>
 *
 * <p>An empty or blank value counts as unset.
 */
public final class EnvConfig {
  private final Map<String, String> env;

  private EnvConfig(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  /** Reads the process environment ({@link System#getenv()}). */
  public static EnvConfig fromSystem() {
    return new EnvConfig(System.getenv());
  }

  /** Reads the given map instead of the process environment (tests, embedding). */
  public static EnvConfig of(Map<String, String> env) {
    return new EnvConfig(Objects.requireNonNull(env, "env"));
  }

  /** The raw map this instance reads. */
  public Map<String, String> asMap() {
    return env;
  }

  /** The trimmed value of {@code key}, or empty when unset or blank. */
  public Optional<String> string(String key) {
    String value = env.get(key);
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(value.trim());
  }

  /** A TCP port 1-65535. */
  public Optional<Integer> port(String key) {
    return integer(key, 1, 65535, "a port number 1-65535");
  }

  /** A TCP port 0-65535, where 0 asks the operating system for a free port. */
  public Optional<Integer> portOrZero(String key) {
    return integer(key, 0, 65535, "a port number 0-65535");
  }

  /** An integer within {@code [min, max]}; {@code expected} describes the range in the message. */
  public Optional<Integer> integer(String key, int min, int max, String expected) {
    Optional<String> raw = string(key);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    int value;
    try {
      value = Integer.parseInt(raw.get());
    } catch (NumberFormatException e) {
      throw invalid(key, raw.get(), expected);
    }
    if (value < min || value > max) {
      throw invalid(key, raw.get(), expected);
    }
    return Optional.of(value);
  }

  /**
   * A positive duration: a whole number followed by {@code ms}, {@code s}, {@code m} or {@code h}
   * ({@code 500ms}, {@code 2s}); a bare number counts as milliseconds, as in OpenTelemetry's
   * settings.
   */
  public Optional<Duration> duration(String key) {
    Optional<String> raw = string(key);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    String value = raw.get();
    String lower = value.toLowerCase(java.util.Locale.ROOT);
    int digits = 0;
    while (digits < lower.length() && Character.isDigit(lower.charAt(digits))) {
      digits++;
    }
    String unit = lower.substring(digits).trim();
    Duration result = null;
    if (digits > 0 && digits <= 12) {
      long amount = Long.parseLong(lower.substring(0, digits));
      switch (unit) {
        case "":
        case "ms":
          result = Duration.ofMillis(amount);
          break;
        case "s":
          result = Duration.ofSeconds(amount);
          break;
        case "m":
          result = Duration.ofMinutes(amount);
          break;
        case "h":
          result = Duration.ofHours(amount);
          break;
        default:
          break;
      }
    }
    if (result == null || result.isZero()) {
      throw invalid(key, value, "a positive duration such as 500ms, 2s or 1m");
    }
    return Optional.of(result);
  }

  /** {@code true} or {@code false}, case-insensitive. */
  public Optional<Boolean> bool(String key) {
    Optional<String> raw = string(key);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    String value = raw.get();
    if (value.equalsIgnoreCase("true")) {
      return Optional.of(Boolean.TRUE);
    }
    if (value.equalsIgnoreCase("false")) {
      return Optional.of(Boolean.FALSE);
    }
    throw invalid(key, value, "true or false");
  }

  /** One of {@code allowed} (case-insensitive), returned in lower case. */
  public Optional<String> oneOf(String key, String... allowed) {
    Optional<String> raw = string(key);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    for (String candidate : allowed) {
      if (candidate.equalsIgnoreCase(raw.get())) {
        return Optional.of(candidate);
      }
    }
    throw invalid(key, raw.get(), "one of " + String.join(", ", allowed));
  }

  /**
   * A host name or IP address to bind to: letters, digits, dots, hyphens and colons (IPv6), with no
   * scheme, port or path.
   */
  public Optional<String> host(String key) {
    Optional<String> raw = string(key);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    String value = raw.get();
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '-'
              || c == ':';
      if (!ok) {
        throw invalid(key, value, "a host name or IP address (no scheme, port or path)");
      }
    }
    return raw;
  }

  /**
   * A comma-separated list of URL paths, each starting with {@code /}; a trailing {@code *} makes
   * an entry a prefix.
   */
  public Optional<List<String>> paths(String key) {
    Optional<String> raw = string(key);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    List<String> result = new ArrayList<>();
    for (String part : raw.get().split(",")) {
      String path = part.trim();
      if (path.isEmpty()) {
        continue;
      }
      if (!path.startsWith("/")) {
        throw invalid(key, raw.get(), "a comma-separated list of paths starting with /");
      }
      result.add(path);
    }
    return Optional.of(Collections.unmodifiableList(result));
  }

  /**
   * A secret: returned as is, but a problem with it is reported without the value. Use for
   * passwords and tokens.
   */
  public Optional<String> secret(String key) {
    String value = env.get(key);
    if (value == null || value.isEmpty()) {
      return Optional.empty();
    }
    if (value.isBlank() || !value.equals(value.strip())) {
      throw new ConfigException(
          key, key + "=<hidden>: expected a value without leading or trailing white space");
    }
    return Optional.of(value);
  }

  /**
   * A secret given either directly in {@code key} or as a file path in {@code key_FILE} (Docker and
   * Kubernetes secrets). A trailing newline in the file is ignored. Setting both is an error.
   */
  public Optional<String> secretOrFile(String key) {
    String fileKey = key + "_FILE";
    Optional<String> direct = secret(key);
    Optional<String> path = string(fileKey);
    if (direct.isPresent() && path.isPresent()) {
      throw new ConfigException(
          key, key + " and " + fileKey + " are both set: expected only one of them");
    }
    if (path.isEmpty()) {
      return direct;
    }
    String content;
    try {
      content = java.nio.file.Files.readString(java.nio.file.Path.of(path.get()));
    } catch (java.io.IOException | RuntimeException e) {
      throw invalid(fileKey, path.get(), "a readable file (" + e.getClass().getSimpleName() + ")");
    }
    String value =
        content.endsWith("\r\n")
            ? content.substring(0, content.length() - 2)
            : content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
    if (value.isEmpty() || !value.equals(value.strip())) {
      throw new ConfigException(
          fileKey,
          fileKey
              + "="
              + path.get()
              + ": expected a file holding the secret without surrounding"
              + " white space");
    }
    return Optional.of(value);
  }

  /** Builds the exception every reader throws: {@code KEY=value: expected what}. */
  public static ConfigException invalid(String key, String value, String expected) {
    return new ConfigException(key, key + "=" + value + ": expected " + expected);
  }

  /** An exception for a combination of keys that cannot work together. */
  public static ConfigException conflict(String key, String message) {
    return new ConfigException(key, message);
  }
}
