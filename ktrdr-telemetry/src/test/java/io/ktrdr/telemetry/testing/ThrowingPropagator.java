package io.ktrdr.telemetry.testing;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurablePropagatorProvider;
import java.util.Collection;
import java.util.List;

/**
 * A propagator whose extraction throws, as a buggy vendor propagator may: selected with {@code
 * OTEL_PROPAGATORS=tracecontext,throwing} through OpenTelemetry's own provider lookup.
 */
public final class ThrowingPropagator implements TextMapPropagator {
  @Override
  public Collection<String> fields() {
    return List.of();
  }

  @Override
  public <C> void inject(Context context, C carrier, TextMapSetter<C> setter) {}

  @Override
  public <C> Context extract(Context context, C carrier, TextMapGetter<C> getter) {
    throw new IllegalStateException("a propagator that cannot parse its header");
  }

  /** {@code OTEL_PROPAGATORS=throwing}. */
  public static final class Provider implements ConfigurablePropagatorProvider {
    @Override
    public TextMapPropagator getPropagator(ConfigProperties config) {
      return new ThrowingPropagator();
    }

    @Override
    public String getName() {
      return "throwing";
    }
  }
}
