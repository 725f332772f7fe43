package io.ktrdr.telemetry.internal.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeyedRatioSamplerTest {
  private static final int IDS = 100_000;

  private static String randomId(SplittableRandom random) {
    return String.format("%016x%016x", random.nextLong(), random.nextLong());
  }

  private static int sampled(Sampler sampler, Iterable<String> ids) {
    int sampled = 0;
    for (String id : ids) {
      SamplingDecision decision =
          sampler
              .shouldSample(
                  Context.root(), id, "GET", SpanKind.SERVER, Attributes.empty(), List.of())
              .getDecision();
      if (decision == SamplingDecision.RECORD_AND_SAMPLE) {
        sampled++;
      }
    }
    return sampled;
  }

  private static List<String> ids(int count, java.util.function.IntFunction<String> id) {
    return java.util.stream.IntStream.range(0, count).mapToObj(id).toList();
  }

  @Test
  void samplesTheRatioOfRandomIds() {
    SplittableRandom random = new SplittableRandom(7);
    List<String> ids = ids(IDS, i -> randomId(random));
    for (double ratio : new double[] {0.01, 0.1, 0.5}) {
      int sampled = sampled(KeyedRatioSampler.create(ratio), ids);
      // Five standard deviations of Binomial(100000, ratio).
      double deviation = Math.sqrt(IDS * ratio * (1 - ratio));
      assertThat((double) sampled)
          .as("ratio " + ratio)
          .isCloseTo(IDS * ratio, org.assertj.core.data.Offset.offset(5 * deviation));
    }
  }

  @Test
  void idsChosenForTheRatioSamplerPassOnlyAtTheRatio() {
    // Low 64 bits 1: OpenTelemetry's traceidratio samples every one of them at any ratio above 0.
    SplittableRandom random = new SplittableRandom(11);
    List<String> crafted = ids(IDS, i -> String.format("%016x%016x", random.nextLong(), 1L));
    assertThat(sampled(Sampler.traceIdRatioBased(0.01), crafted)).isEqualTo(IDS);

    int sampled = sampled(KeyedRatioSampler.create(0.01), crafted);
    assertThat(sampled).isBetween(800, 1200);
    // Ids that differ in one bit, or all zeros but one digit, are no easier.
    List<String> sequential = ids(IDS, i -> String.format("%032x", (long) i));
    assertThat(sampled(KeyedRatioSampler.create(0.01), sequential)).isBetween(800, 1200);
  }

  @Test
  void twoProcessesDoNotAgreeOnWhichIdsPass() {
    SplittableRandom random = new SplittableRandom(13);
    List<String> ids = ids(IDS, i -> randomId(random));
    KeyedRatioSampler one = KeyedRatioSampler.create(0.5);
    KeyedRatioSampler other = KeyedRatioSampler.create(0.5);
    long agree = ids.stream().filter(id -> one.sampled(id) == other.sampled(id)).count();
    // Independent keys: agreement is chance (half), not the whole set.
    assertThat(agree).isBetween(IDS / 2 - 2_000L, IDS / 2 + 2_000L);
    // One process always decides the same way for one id.
    assertThat(ids).allSatisfy(id -> assertThat(one.sampled(id)).isEqualTo(one.sampled(id)));
  }

  @Test
  void zeroAndOneAreNoneAndAll() {
    SplittableRandom random = new SplittableRandom(17);
    List<String> ids = ids(10_000, i -> randomId(random));
    assertThat(sampled(KeyedRatioSampler.create(0), ids)).isZero();
    assertThat(sampled(KeyedRatioSampler.create(1), ids)).isEqualTo(10_000);
    assertThatThrownBy(() -> KeyedRatioSampler.create(1.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ratio must be in [0, 1], was 1.5");
  }

  @Test
  void isSipHash24() {
    // The reference implementation's vector for key 00..0f and the 16-byte message 00..0f.
    long k0 = 0x0706050403020100L;
    long k1 = 0x0f0e0d0c0b0a0908L;
    assertThat(KeyedRatioSampler.sipHash24(k0, k1, k0, k1)).isEqualTo(0x3f2acc7f57c29bdbL);
  }

  private static String configuredSampler(Map<String, String> env) {
    try (KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder().environment(env).shutdownHook(false).build()) {
      return ((OpenTelemetrySdk) telemetry.openTelemetry())
          .getSdkTracerProvider()
          .getSampler()
          .getDescription();
    }
  }

  @Test
  void isSelectedByOtelTracesSamplerAndReplacesTraceIdRatioAtTheEdge() {
    assertThat(
            configuredSampler(
                Map.of(
                    "OTEL_TRACES_SAMPLER",
                    "keyed_traceidratio",
                    "OTEL_TRACES_SAMPLER_ARG",
                    "0.25")))
        .isEqualTo("KeyedTraceIdRatioBased{0.250000}");
    assertThat(
            configuredSampler(
                Map.of(
                    "OTEL_TRACES_SAMPLER", "parentbased_traceidratio",
                    "OTEL_TRACES_SAMPLER_ARG", "0.01",
                    "KTRDR_TRACES_INBOUND", "new_root")))
        .startsWith("ParentBased{root:KeyedTraceIdRatioBased{0.010000}");
    // Trusting services keep what they configured.
    assertThat(
            configuredSampler(
                Map.of(
                    "OTEL_TRACES_SAMPLER", "parentbased_traceidratio",
                    "OTEL_TRACES_SAMPLER_ARG", "0.01")))
        .startsWith("ParentBased{root:TraceIdRatioBased{0.010000}");
  }

  @Test
  void aRatioOutsideZeroToOneFailsStartUp() {
    assertThatThrownBy(
            () ->
                configuredSampler(
                    Map.of(
                        "OTEL_TRACES_SAMPLER", "parentbased_keyed_traceidratio",
                        "OTEL_TRACES_SAMPLER_ARG", "2")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid OpenTelemetry configuration (OTEL_* variables):"
                + " otel.traces.sampler.arg=2.0: expected a ratio from 0 to 1");
  }

  @Test
  void itsDescriptionNamesTheRatioNeverTheKey() {
    KeyedRatioSampler sampler = new KeyedRatioSampler(0.01, 0x1234567890abcdefL, 42);
    assertThat(sampler.getDescription()).isEqualTo("KeyedTraceIdRatioBased{0.010000}");
  }
}
