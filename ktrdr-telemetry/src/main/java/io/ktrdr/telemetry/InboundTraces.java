package io.ktrdr.telemetry;

import java.util.Locale;

/**
 * How a service treats the trace context that arrives with a request ({@code traceparent}, {@code
 * tracestate}, {@code baggage}): trusted as it is, or, for a service that faces callers it does not
 * trust, with the caller's sampling decision ignored or the caller's trace replaced by a new one.
 *
 * <pre>{@code
 * KtrdrTelemetry telemetry = KtrdrTelemetry.builder()
 *     .serviceName("ktrdr-api")
 *     .tracesInbound(InboundTraces.NEW_ROOT)     // callers from the internet
 *     .build();
 * }</pre>
 *
 * <p>At the edge ({@link #IGNORE_SAMPLED}, {@link #NEW_ROOT}) inbound baggage and {@code
 * tracestate} are dropped unless allowed ({@link KtrdrTelemetryBuilder#tracesInboundBaggageKeys}),
 * and a configured {@code traceidratio} sampler is replaced by its keyed variant, whose decision
 * the caller cannot choose. See {@code docs/tracing.md#edge-services}.
 */
public enum InboundTraces {
  /**
   * The caller's context is this request's parent: same trace id, and a parent-based sampler
   * follows the caller's sampled flag. For services called by services you run.
   */
  TRUST,
  /**
   * The caller's trace id and span stay the parent, but the caller's sampled flag decides nothing:
   * this service's own sampler decides as for a new trace.
   */
  IGNORE_SAMPLED,
  /**
   * A new trace starts here; its root span carries a span link to the caller's context, so the
   * caller's trace can still be found, but the caller's trace id never becomes this service's.
   */
  NEW_ROOT;

  /** The policy named {@code value}: {@code trust}, {@code ignore_sampled}, {@code new_root}. */
  static InboundTraces parse(String value) {
    return valueOf(value.trim().toUpperCase(Locale.ROOT));
  }

  /** The configuration spelling of this policy. */
  String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
