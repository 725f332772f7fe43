package io.ktrdr.telemetry.javalin;

import io.opentelemetry.api.trace.Span;
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

  /** The server span, or {@code null} when no span was started. */
  @Nullable Span span;

  /** The server span when it records (is sampled), else {@code null}. */
  @Nullable SpanWriter recording;

  RequestState(long startNanos, int methodIndex, boolean https) {
    this.startNanos = startNanos;
    this.methodIndex = methodIndex;
    this.https = https;
  }
}
