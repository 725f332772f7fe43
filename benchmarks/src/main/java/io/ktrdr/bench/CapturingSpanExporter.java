package io.ktrdr.bench;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A span exporter that keeps what it is given, for {@link ExportCost}: the spans a real request
 * made through the library's filter, to export again in the other stages. Selected by {@code
 * OTEL_TRACES_EXPORTER=ktrdr-bench-capture} (autoconfigure finds {@link Provider} as a service);
 * nothing else in the benchmarks selects it.
 */
final class CapturingSpanExporter implements SpanExporter {
  static final String NAME = "ktrdr-bench-capture";

  private static final List<SpanData> captured = new ArrayList<>();

  /** The spans exported to any capturing exporter so far, then forgets them. */
  static List<SpanData> take() {
    synchronized (captured) {
      List<SpanData> spans = new ArrayList<>(captured);
      captured.clear();
      return spans;
    }
  }

  static int count() {
    synchronized (captured) {
      return captured.size();
    }
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    synchronized (captured) {
      captured.addAll(spans);
    }
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }

  /** Makes the exporter for autoconfigure. */
  public static final class Provider implements ConfigurableSpanExporterProvider {
    @Override
    public SpanExporter createExporter(ConfigProperties config) {
      return new CapturingSpanExporter();
    }

    @Override
    public String getName() {
      return NAME;
    }
  }
}
