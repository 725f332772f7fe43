package io.ktrdr.telemetry.internal.http;

/**
 * Boxed HTTP status codes, made once. OpenTelemetry's HTTP attribute getters return the status as
 * an {@link Integer}, and the extractors ask for it twice per recorded span (the attribute and the
 * span status); {@link Integer#valueOf} caches only up to 127, so every 200 would be a new object.
 *
 * <p>Internal: not part of the public API.
 */
public final class StatusCodes {
  /** The lowest and highest status codes HTTP defines a class for (1xx to 5xx). */
  static final int MIN = 100;

  static final int MAX = 599;
  private static final Integer[] BOXED = new Integer[MAX - MIN + 1];

  static {
    for (int status = MIN; status <= MAX; status++) {
      BOXED[status - MIN] = status;
    }
  }

  private StatusCodes() {}

  /** {@code status} boxed: a shared instance from 100 to 599, a new one outside that range. */
  public static Integer boxed(int status) {
    return status >= MIN && status <= MAX ? BOXED[status - MIN] : Integer.valueOf(status);
  }
}
