package io.ktrdr.telemetry.internal.scrape;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.Data;
import io.opentelemetry.sdk.metrics.data.GaugeData;
import io.opentelemetry.sdk.metrics.data.HistogramData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.resources.Resource;
import java.util.ArrayList;
import java.util.List;

/**
 * A metric the reader makes up to ask the stock converter a question (a histogram's metadata, the
 * labels of attribute sets, {@code target_info}): built on OpenTelemetry's public data interfaces
 * and factories only, so that no internal SDK class is needed.
 */
final class ProbeMetric implements MetricData {
  private final Resource resource;
  private final InstrumentationScopeInfo scope;
  private final String name;
  private final String description;
  private final String unit;
  private final MetricDataType type;
  private final Data<?> data;

  private ProbeMetric(
      Resource resource,
      InstrumentationScopeInfo scope,
      String name,
      String description,
      String unit,
      MetricDataType type,
      Data<?> data) {
    this.resource = resource;
    this.scope = scope;
    this.name = name;
    this.description = description;
    this.unit = unit;
    this.type = type;
    this.data = data;
  }

  /** A cumulative histogram without points: the converter still gives its metadata. */
  static MetricData emptyHistogram(MetricData like) {
    return new ProbeMetric(
        like.getResource(),
        like.getInstrumentationScopeInfo(),
        like.getName(),
        like.getDescription(),
        like.getUnit(),
        MetricDataType.HISTOGRAM,
        HistogramData.create(AggregationTemporality.CUMULATIVE, List.of()));
  }

  /**
   * A long gauge whose point {@code i} carries {@code attributes.get(i)} and the value {@code i}.
   */
  static MetricData indexedGauge(
      Resource resource, InstrumentationScopeInfo scope, String name, List<Attributes> attributes) {
    List<LongPointData> points = new ArrayList<>(attributes.size());
    for (int i = 0; i < attributes.size(); i++) {
      points.add(LongPointData.create(0, 0, attributes.get(i), i));
    }
    return new ProbeMetric(
        resource,
        scope,
        name,
        "",
        "",
        MetricDataType.LONG_GAUGE,
        GaugeData.createLongGaugeData(points));
  }

  @Override
  public Resource getResource() {
    return resource;
  }

  @Override
  public InstrumentationScopeInfo getInstrumentationScopeInfo() {
    return scope;
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public String getDescription() {
    return description;
  }

  @Override
  public String getUnit() {
    return unit;
  }

  @Override
  public MetricDataType getType() {
    return type;
  }

  @Override
  public Data<?> getData() {
    return data;
  }
}
