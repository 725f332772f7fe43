package io.ktrdr.app;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.regex.Pattern;

/**
 * Removes secrets from text before it reaches a log line or an error message: passwords in URLs
 * ({@code password=...}, {@code user:password@}) and every secret value the app was configured with
 * (cluster secret, API token, database password).
 */
public final class Redactor {
  private static final Pattern PASSWORD_PARAMETER =
      Pattern.compile("(?i)((?:password|passwd|pwd|secret|token)=)[^&;\\s]*");
  private static final Pattern USER_INFO = Pattern.compile("(//[^/@:\\s]*:)[^/@\\s]*@");
  private static final Set<String> SECRETS = new CopyOnWriteArraySet<>();
  static final String MASK = "***";

  private Redactor() {}

  /** Adds values that must never appear in a log line or an error message. */
  public static void register(List<String> secrets) {
    for (String secret : secrets) {
      if (secret != null && secret.length() >= 4) {
        SECRETS.add(secret);
      }
    }
  }

  /** A URL with its password parts masked. */
  public static String redactUrl(String url) {
    String masked = PASSWORD_PARAMETER.matcher(url).replaceAll("$1" + MASK);
    return USER_INFO.matcher(masked).replaceAll("$1" + MASK + "@");
  }

  /** {@code text} with URL passwords and registered secrets masked; null stays null. */
  public static String redact(String text) {
    if (text == null) {
      return null;
    }
    String masked = redactUrl(text);
    for (String secret : SECRETS) {
      masked = masked.replace(secret, MASK);
    }
    return masked;
  }

  /**
   * A copy of {@code error} whose messages (its own and its causes') are redacted, with the
   * original stack traces, for logging an exception that may quote a connection URL.
   */
  public static Throwable redact(Throwable error) {
    return copy(error, 0);
  }

  private static Throwable copy(Throwable error, int depth) {
    String message = error.getClass().getName();
    String original = error.getMessage();
    if (original != null) {
      message += ": " + redact(original);
    }
    Throwable cause =
        error.getCause() == null || error.getCause() == error || depth > 10
            ? null
            : copy(error.getCause(), depth + 1);
    RedactedException copy = new RedactedException(message, cause);
    copy.setStackTrace(error.getStackTrace());
    return copy;
  }

  /** Carries a redacted message in place of the original exception. */
  static final class RedactedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RedactedException(String message, Throwable cause) {
      super(message, cause);
    }

    @Override
    public String toString() {
      return getMessage();
    }
  }
}
