package io.ktrdr.app.http;

import io.javalin.http.Context;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * The control plane's credentials: the cluster secret shared by the API and its workers, and the
 * optional user token. Both travel as {@code Authorization: Bearer <value>}; they are compared in
 * constant time. Every refusal is counted in {@code ktrdr_auth_failures_total{realm,reason}}.
 */
public final class Credentials {
  /** The header naming the worker that sends a cluster request. */
  public static final String WORKER_HEADER = "X-Ktrdr-Worker-Id";

  private static final AttributeKey<String> REALM = AttributeKey.stringKey("realm");
  private static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");

  private final byte[] clusterDigest;
  private final byte[] acceptedDigest;
  private final byte[] tokenDigest;
  private final String clusterHeader;
  private final LongCounter failures;

  /**
   * @param clusterSecret sent on every call to the other side, and accepted
   * @param acceptedSecret also accepted, never sent (while the cluster secret is rotated)
   * @param apiToken the user token, when the user-facing API requires one
   */
  public Credentials(
      String clusterSecret,
      Optional<String> acceptedSecret,
      Optional<String> apiToken,
      Meter meter) {
    this.clusterDigest = digest(clusterSecret);
    this.acceptedDigest = acceptedSecret.map(Credentials::digest).orElse(clusterDigest);
    this.tokenDigest = apiToken.map(Credentials::digest).orElse(null);
    this.clusterHeader = "Bearer " + clusterSecret;
    this.failures =
        meter
            .counterBuilder("ktrdr.auth.failures")
            .setUnit("{request}")
            .setDescription("Requests refused for missing, wrong or insufficient credentials.")
            .build();
    for (String realm : new String[] {"cluster", "api"}) {
      for (String reason : new String[] {"missing", "invalid", "forbidden"}) {
        failures.add(0, Attributes.of(REALM, realm, REASON, reason));
      }
    }
  }

  /** The {@code Authorization} value for calls between the API and its workers. */
  public String clusterAuthorization() {
    return clusterHeader;
  }

  /** Checks {@code access}; 401 with a JSON error when the credentials are missing or wrong. */
  public void require(Context ctx, Access access) {
    if (access == Access.PUBLIC || (access == Access.USER && tokenDigest == null)) {
      return;
    }
    String realm = access == Access.CLUSTER ? "cluster" : "api";
    String bearer = bearer(ctx);
    if (bearer == null) {
      failures.add(1, Attributes.of(REALM, realm, REASON, "missing"));
      throw ApiException.unauthorized("Credentials are required: Authorization: Bearer <token>");
    }
    byte[] presented = digest(bearer);
    boolean valid =
        isClusterDigest(presented)
            || (access == Access.USER && MessageDigest.isEqual(presented, tokenDigest));
    if (!valid) {
      failures.add(1, Attributes.of(REALM, realm, REASON, "invalid"));
      throw ApiException.unauthorized("The credentials are not valid");
    }
  }

  /**
   * Whether {@code authorization} (an {@code Authorization} header, or null) carries an accepted
   * cluster secret: the request comes from a worker. Counts nothing; for the telemetry's trusted
   * callers, asked before the route's own check.
   */
  public boolean isCluster(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    String value = authorization.substring(7).strip();
    return !value.isEmpty() && isClusterDigest(digest(value));
  }

  /** Counts and returns a 403: authenticated, but not allowed to do this. */
  public ApiException forbidden(Access access, String message) {
    failures.add(
        1, Attributes.of(REALM, access == Access.CLUSTER ? "cluster" : "api", REASON, "forbidden"));
    return ApiException.forbidden(message);
  }

  private boolean isClusterDigest(byte[] presented) {
    // Both compared, always: the time taken does not tell which one matched.
    boolean current = MessageDigest.isEqual(presented, clusterDigest);
    boolean accepted = MessageDigest.isEqual(presented, acceptedDigest);
    return current | accepted;
  }

  private static String bearer(Context ctx) {
    String header = ctx.header("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String value = header.substring(7).strip();
    return value.isEmpty() ? null : value;
  }

  private static byte[] digest(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
