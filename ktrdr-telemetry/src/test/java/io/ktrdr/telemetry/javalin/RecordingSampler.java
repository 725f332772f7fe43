package io.ktrdr.telemetry.javalin;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSamplerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A sampler that records what each {@code shouldSample} call saw and samples nothing; selected with
 * {@code OTEL_TRACES_SAMPLER=test_recording} (its provider is a test-only service). Each SDK built
 * with it records into the list of the one sampler it made: {@link #last()}.
 */
public final class RecordingSampler implements Sampler {
  /** What one call saw. */
  public record Call(String name, SpanKind kind, Attributes attributes) {}

  private static volatile RecordingSampler last;

  public final List<Call> calls = new CopyOnWriteArrayList<>();

  /** The sampler the most recently built SDK uses. */
  public static RecordingSampler last() {
    return last;
  }

  @Override
  public SamplingResult shouldSample(
      Context parentContext,
      String traceId,
      String name,
      SpanKind spanKind,
      Attributes attributes,
      List<LinkData> parentLinks) {
    // A copy: the SDK hands over the span builder's own map, which later writes would change.
    calls.add(new Call(name, spanKind, attributes.toBuilder().build()));
    return SamplingResult.drop();
  }

  @Override
  public String getDescription() {
    return "RecordingSampler";
  }

  /** {@code OTEL_TRACES_SAMPLER=test_recording}. */
  public static final class Provider implements ConfigurableSamplerProvider {
    @Override
    public Sampler createSampler(ConfigProperties config) {
      RecordingSampler sampler = new RecordingSampler();
      last = sampler;
      return sampler;
    }

    @Override
    public String getName() {
      return "test_recording";
    }
  }
}
