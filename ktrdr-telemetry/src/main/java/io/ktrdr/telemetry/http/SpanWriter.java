package io.ktrdr.telemetry.http;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.instrumentation.api.instrumenter.SpanStatusBuilder;
import org.jspecify.annotations.Nullable;

/**
 * A recording server span seen as the attribute and status builder that the semantic-convention
 * extractors write to: each attribute goes straight into the span, with no map in between. Made
 * only for spans that record.
 */
final class SpanWriter implements AttributesBuilder, SpanStatusBuilder {
  private final Span span;
  private final ServerTracing<?, ?> tracing;
  private final int methodIndex;

  SpanWriter(Span span, ServerTracing<?, ?> tracing, int methodIndex) {
    this.span = span;
    this.tracing = tracing;
    this.methodIndex = methodIndex;
  }

  /** Names the span after the matched route. */
  void routeMatched(String route) {
    span.updateName(tracing.spanName(methodIndex, route));
  }

  @Override
  public <T> AttributesBuilder put(AttributeKey<T> key, @Nullable T value) {
    if (value != null) {
      span.setAttribute(key, value);
    }
    return this;
  }

  @Override
  public <T> AttributesBuilder put(AttributeKey<Long> key, int value) {
    span.setAttribute(key, (long) value);
    return this;
  }

  @Override
  public AttributesBuilder putAll(Attributes attributes) {
    span.setAllAttributes(attributes);
    return this;
  }

  /** The attributes live in the span: there is nothing to build. */
  @Override
  public Attributes build() {
    throw new UnsupportedOperationException("attributes are written into the span");
  }

  @Override
  public SpanStatusBuilder setStatus(StatusCode code, @Nullable String description) {
    if (description == null) {
      span.setStatus(code);
    } else {
      span.setStatus(code, description);
    }
    return this;
  }
}
