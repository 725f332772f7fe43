package io.ktrdr.telemetry.javalin;

import io.opentelemetry.context.Context;
import org.jspecify.annotations.Nullable;

/**
 * What the telemetry knows about one request in flight, shared between the servlet filter (which
 * sees the whole request) and {@link RouteCapture} (which learns the matched route). Stored as a
 * request attribute.
 */
final class RequestState {
  static final String ATTRIBUTE = RequestState.class.getName();

  final long startNanos;
  final int methodIndex;
  final boolean https;
  @Nullable String route;
  @Nullable Throwable error;

  /** The server span's context, or {@code null} when no span was started. */
  @Nullable Context span;

  RequestState(long startNanos, int methodIndex, boolean https) {
    this.startNanos = startNanos;
    this.methodIndex = methodIndex;
    this.https = https;
  }
}
