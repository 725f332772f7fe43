package io.ktrdr.telemetry.http;

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

  /** The method index times two, plus one for https: one field, so the object stays 40 bytes. */
  private final int methodAndScheme;

  @Nullable String route;
  @Nullable Throwable error;

  /** The server span, or {@code null} when no span was started. */
  @Nullable Span span;

  /** The server span when it records (is sampled), else {@code null}. */
  @Nullable SpanWriter recording;

  RequestState(long startNanos, int methodIndex, boolean https) {
    this.startNanos = startNanos;
    this.methodAndScheme = methodIndex * 2 + (https ? 1 : 0);
  }

  /** The request method's index ({@code HttpServerMetrics.methodIndex}). */
  int methodIndex() {
    return methodAndScheme >> 1;
  }

  /** Whether the request came over https. */
  boolean https() {
    return (methodAndScheme & 1) != 0;
  }
}
