package io.ktrdr.telemetry.internal.http;

import org.jspecify.annotations.Nullable;

/**
 * {@code network.protocol.version} from a server's protocol string ({@code HTTP/1.1}). The
 * semantic-convention extractors ask for it twice per recorded span; the common versions are
 * constants, so answering allocates nothing.
 *
 * <p>Internal: not part of the public API.
 */
public final class HttpProtocol {
  private static final String PREFIX = "HTTP/";

  private HttpProtocol() {}

  /** The version of {@code protocol} ({@code 1.1} for {@code HTTP/1.1}), or null if not HTTP. */
  public static @Nullable String version(@Nullable String protocol) {
    if (protocol == null || !protocol.startsWith(PREFIX)) {
      return null;
    }
    switch (protocol) {
      case "HTTP/1.1":
        return "1.1";
      case "HTTP/2.0":
        return "2.0";
      case "HTTP/1.0":
        return "1.0";
      default:
        return protocol.substring(PREFIX.length());
    }
  }
}
