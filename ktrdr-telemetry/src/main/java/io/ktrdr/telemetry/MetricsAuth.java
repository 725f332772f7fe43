package io.ktrdr.telemetry;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Protection of the {@code /metrics} endpoint: none, HTTP basic auth or a bearer token. Requests
 * with missing or wrong credentials get {@code 401} with a {@code WWW-Authenticate} challenge.
 * Credentials are compared in constant time and never appear in {@link #toString()} or in logs.
 *
 * <pre>{@code
 * MetricsAuth auth = MetricsAuth.bearer(System.getenv("KTRDR_METRICS_BEARER_TOKEN"));
 * }</pre>
 *
 * <p>Prometheus sends these with {@code basic_auth:} or {@code authorization: {credentials_file:
 * ...}} in its scrape config.
 */
public final class MetricsAuth {
  private static final MetricsAuth NONE = new MetricsAuth(Kind.NONE, new byte[0], "none");

  private enum Kind {
    NONE,
    BASIC,
    BEARER
  }

  private final Kind kind;
  private final byte[] expectedCredentials;
  private final String description;

  private MetricsAuth(Kind kind, byte[] expectedCredentials, String description) {
    this.kind = kind;
    this.expectedCredentials = expectedCredentials;
    this.description = description;
  }

  /** No protection: every request is served. The default. */
  public static MetricsAuth none() {
    return NONE;
  }

  /** HTTP basic auth with one user name and password. */
  public static MetricsAuth basic(String username, String password) {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    if (username.isEmpty() || username.indexOf(':') >= 0) {
      throw new IllegalArgumentException("username must be non-empty and must not contain ':'");
    }
    String token =
        Base64.getEncoder()
            .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    return new MetricsAuth(
        Kind.BASIC, token.getBytes(StandardCharsets.US_ASCII), "basic(user=" + username + ")");
  }

  /** A bearer token: requests must send {@code Authorization: Bearer <token>}. */
  public static MetricsAuth bearer(String token) {
    Objects.requireNonNull(token, "token");
    if (token.isBlank()) {
      throw new IllegalArgumentException("token must not be blank");
    }
    return new MetricsAuth(Kind.BEARER, token.getBytes(StandardCharsets.UTF_8), "bearer");
  }

  /** Whether requests must authenticate. */
  public boolean isEnabled() {
    return kind != Kind.NONE;
  }

  /**
   * Whether a request with this {@code Authorization} header value may read the metrics.
   *
   * @param authorizationHeader the header value, or {@code null} when the request has none
   */
  public boolean isAuthorized(@Nullable String authorizationHeader) {
    if (kind == Kind.NONE) {
      return true;
    }
    if (authorizationHeader == null) {
      return false;
    }
    String header = authorizationHeader.trim();
    int space = header.indexOf(' ');
    if (space <= 0) {
      return false;
    }
    String scheme = header.substring(0, space);
    String expectedScheme = kind == Kind.BASIC ? "Basic" : "Bearer";
    if (!scheme.equalsIgnoreCase(expectedScheme)) {
      return false;
    }
    byte[] presented = header.substring(space + 1).trim().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(presented, expectedCredentials);
  }

  /**
   * The scheme alone ({@code none}, {@code basic} or {@code bearer}), for start-up lines: a user
   * name is half a credential and stays out of logs.
   */
  String scheme() {
    return kind.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The {@code WWW-Authenticate} header value sent with a 401. */
  String challenge() {
    return kind == Kind.BASIC
        ? "Basic realm=\"metrics\", charset=\"UTF-8\""
        : "Bearer realm=\"metrics\"";
  }

  @Override
  public String toString() {
    return "MetricsAuth{" + description + "}";
  }
}
