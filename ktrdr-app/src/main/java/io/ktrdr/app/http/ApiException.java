package io.ktrdr.app.http;

/**
 * A request that cannot be served, with the status and the message the client gets as {@code
 * {"error": ..., "message": ...}}. Never carries a stack trace to the client.
 */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String error;
  private final int retryAfterSeconds;

  public ApiException(int status, String error, String message) {
    this(status, error, message, 0);
  }

  private ApiException(int status, String error, String message, int retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.error = error;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static ApiException badRequest(String message) {
    return new ApiException(400, "bad_request", message);
  }

  public static ApiException unauthorized(String message) {
    return new ApiException(401, "unauthorized", message);
  }

  public static ApiException forbidden(String message) {
    return new ApiException(403, "forbidden", message);
  }

  public static ApiException tooLarge(String message) {
    return new ApiException(413, "payload_too_large", message);
  }

  public static ApiException unsupportedMediaType(String message) {
    return new ApiException(415, "unsupported_media_type", message);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, "not_found", message);
  }

  public static ApiException conflict(String message) {
    return new ApiException(409, "conflict", message);
  }

  public static ApiException unavailable(String message) {
    return new ApiException(503, "unavailable", message);
  }

  /** A 503 whose response says, in {@code Retry-After}, when to try again. */
  public static ApiException unavailable(String message, int retryAfterSeconds) {
    return new ApiException(503, "unavailable", message, retryAfterSeconds);
  }

  public int status() {
    return status;
  }

  public String error() {
    return error;
  }

  /** Seconds for the {@code Retry-After} header, or 0 for none. */
  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
