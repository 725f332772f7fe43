package io.ktrdr.telemetry.internal.sampling;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSamplerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;

/**
 * Samples a ratio of traces by a keyed hash of the whole trace id: SipHash-2-4 of its two 64-bit
 * halves under a 128-bit secret drawn once per process. OpenTelemetry's {@code traceidratio} reads
 * the low 64 bits of the trace id as they are, so a caller who chooses the trace id (any caller of
 * an edge service) chooses the decision; here the caller cannot tell which ids pass without the
 * secret.
 *
 * <p>The price: two processes no longer agree on the decision for one trace id (their secrets
 * differ), so a service that starts a trace and a service that receives it without a sampled flag
 * decide independently. Parent-based use ({@code parentbased_keyed_traceidratio}) keeps children
 * following their parent, as with {@code traceidratio}.
 *
 * <p>Selected with {@code OTEL_TRACES_SAMPLER=keyed_traceidratio} or {@code
 * parentbased_keyed_traceidratio} and {@code OTEL_TRACES_SAMPLER_ARG} (the ratio, default 1), by
 * the two providers below; {@code KTRDR_TRACES_INBOUND} other than {@code trust} uses them in place
 * of the plain ratio samplers.
 *
 * <p>Internal: not part of the public API.
 */
public final class KeyedRatioSampler implements Sampler {
  public static final String NAME = "keyed_traceidratio";
  public static final String PARENT_BASED_NAME = "parentbased_keyed_traceidratio";

  private final double ratio;
  private final long bound;
  private final long k0;
  private final long k1;

  KeyedRatioSampler(double ratio, long k0, long k1) {
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new IllegalArgumentException("ratio must be in [0, 1], was " + ratio);
    }
    this.ratio = ratio;
    // The hash's top 63 bits, compared with ratio * 2^63; 1 samples every trace.
    this.bound = ratio >= 1 ? Long.MAX_VALUE : (long) (ratio * 0x1p63);
    this.k0 = k0;
    this.k1 = k1;
  }

  /** Samples {@code ratio} (0 to 1) of trace ids, keyed with a fresh random secret. */
  public static KeyedRatioSampler create(double ratio) {
    SecureRandom random = new SecureRandom();
    return new KeyedRatioSampler(ratio, random.nextLong(), random.nextLong());
  }

  @Override
  public SamplingResult shouldSample(
      Context parentContext,
      String traceId,
      String name,
      SpanKind spanKind,
      Attributes attributes,
      List<LinkData> parentLinks) {
    return sampled(traceId) ? SamplingResult.recordAndSample() : SamplingResult.drop();
  }

  /** Whether {@code traceId} (32 hex digits) is in the sampled share. */
  boolean sampled(String traceId) {
    if (ratio >= 1) {
      return true;
    }
    long hash = sipHash24(k0, k1, hex(traceId, 0), hex(traceId, 16));
    return (hash >>> 1) < bound;
  }

  private static long hex(String id, int offset) {
    long value = 0;
    int end = Math.min(id.length(), offset + 16);
    for (int i = offset; i < end; i++) {
      value = (value << 4) | (Character.digit(id.charAt(i), 16) & 0xf);
    }
    return value;
  }

  /** SipHash-2-4 of the message {@code m0, m1} (16 bytes) under the key {@code k0, k1}. */
  static long sipHash24(long k0, long k1, long m0, long m1) {
    long v0 = k0 ^ 0x736f6d6570736575L;
    long v1 = k1 ^ 0x646f72616e646f6dL;
    long v2 = k0 ^ 0x6c7967656e657261L;
    long v3 = k1 ^ 0x7465646279746573L;
    // Locals only, no array: the sampler runs for every span that starts a local trace.
    for (int block = 0; block < 3; block++) {
      long m = block == 0 ? m0 : block == 1 ? m1 : 16L << 56; // last: the message length
      v3 ^= m;
      for (int round = 0; round < 2; round++) {
        v0 += v1;
        v1 = Long.rotateLeft(v1, 13) ^ v0;
        v0 = Long.rotateLeft(v0, 32);
        v2 += v3;
        v3 = Long.rotateLeft(v3, 16) ^ v2;
        v0 += v3;
        v3 = Long.rotateLeft(v3, 21) ^ v0;
        v2 += v1;
        v1 = Long.rotateLeft(v1, 17) ^ v2;
        v2 = Long.rotateLeft(v2, 32);
      }
      v0 ^= m;
    }
    v2 ^= 0xff;
    for (int round = 0; round < 4; round++) {
      v0 += v1;
      v1 = Long.rotateLeft(v1, 13) ^ v0;
      v0 = Long.rotateLeft(v0, 32);
      v2 += v3;
      v3 = Long.rotateLeft(v3, 16) ^ v2;
      v0 += v3;
      v3 = Long.rotateLeft(v3, 21) ^ v0;
      v2 += v1;
      v1 = Long.rotateLeft(v1, 17) ^ v2;
      v2 = Long.rotateLeft(v2, 32);
    }
    return v0 ^ v1 ^ v2 ^ v3;
  }

  @Override
  public String getDescription() {
    // Never the key.
    return String.format(Locale.ROOT, "KeyedTraceIdRatioBased{%.6f}", ratio);
  }

  @Override
  public String toString() {
    return getDescription();
  }

  static double ratio(ConfigProperties config) {
    Double ratio = config.getDouble("otel.traces.sampler.arg");
    double value = ratio == null ? 1.0 : ratio;
    if (!(value >= 0 && value <= 1)) {
      throw new ConfigurationException(
          "otel.traces.sampler.arg=" + ratio + ": expected a ratio from 0 to 1");
    }
    return value;
  }

  /** {@code OTEL_TRACES_SAMPLER=keyed_traceidratio}. */
  public static final class Provider implements ConfigurableSamplerProvider {
    @Override
    public Sampler createSampler(ConfigProperties config) {
      return create(ratio(config));
    }

    @Override
    public String getName() {
      return NAME;
    }
  }

  /** {@code OTEL_TRACES_SAMPLER=parentbased_keyed_traceidratio}. */
  public static final class ParentBasedProvider implements ConfigurableSamplerProvider {
    @Override
    public Sampler createSampler(ConfigProperties config) {
      return Sampler.parentBased(create(ratio(config)));
    }

    @Override
    public String getName() {
      return PARENT_BASED_NAME;
    }
  }
}
