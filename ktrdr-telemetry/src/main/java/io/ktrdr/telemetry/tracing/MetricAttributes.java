package io.ktrdr.telemetry.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.instrumenter.OperationListener;
import io.opentelemetry.instrumentation.api.instrumenter.OperationMetrics;
import java.util.Set;

/**
 * Hands the HTTP client metrics only the attributes they keep. OpenTelemetry's {@code
 * HttpClientMetrics} records with every span attribute ({@code url.full}, peer address, ...) and
 * relies on attribute advice to drop the rest; the SDK then keeps the dropped ones on each exemplar
 * as "filtered attributes", and the Prometheus exporter warns on every scrape that they exceed the
 * 128 characters OpenMetrics allows. Filtering before recording keeps the histogram identical and
 * the exemplars small (trace and span id only).
 */
final class MetricAttributes implements OperationMetrics {
  /** The attributes the HTTP semantic conventions keep on {@code http.client.request.duration}. */
  static final Set<String> CLIENT_DURATION_KEYS =
      Set.of(
          "http.request.method",
          "http.response.status_code",
          "error.type",
          "network.protocol.name",
          "network.protocol.version",
          "server.address",
          "server.port",
          "url.scheme");

  private final OperationMetrics delegate;
  private final Set<String> keys;

  MetricAttributes(OperationMetrics delegate, Set<String> keys) {
    this.delegate = delegate;
    this.keys = keys;
  }

  @Override
  public OperationListener create(io.opentelemetry.api.metrics.Meter meter) {
    OperationListener listener = delegate.create(meter);
    return new OperationListener() {
      @Override
      public Context onStart(Context context, Attributes startAttributes, long startNanos) {
        return listener.onStart(context, keep(startAttributes), startNanos);
      }

      @Override
      public void onEnd(Context context, Attributes endAttributes, long endNanos) {
        listener.onEnd(context, keep(endAttributes), endNanos);
      }
    };
  }

  Attributes keep(Attributes attributes) {
    for (AttributeKey<?> key : attributes.asMap().keySet()) {
      if (!keys.contains(key.getKey())) {
        return attributes.toBuilder().removeIf(k -> !keys.contains(k.getKey())).build();
      }
    }
    return attributes;
  }
}
