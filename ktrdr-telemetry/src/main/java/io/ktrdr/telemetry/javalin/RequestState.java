package io.ktrdr.telemetry.javalin;

import io.opentelemetry.context.Context;

/**
 * What the telemetry knows about one request in flight, shared between the servlet filter (which
 * sees the whole request) and the handler wrapper (which sees the matched route and escaped
 * exceptions). Stored as a request attribute.
 */
final class RequestState {
  static final String ATTRIBUTE = RequestState.class.getName();

  final long startNanos;
  final int methodIndex;
  final boolean https;
  String route;
  Throwable error;

  /** The server span's context, or {@code null} when no span was started. */
  Context span;

  RequestState(long startNanos, int methodIndex, boolean https) {
    this.startNanos = startNanos;
    this.methodIndex = methodIndex;
    this.https = https;
  }
}
