package io.ktrdr.telemetry.internal.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InboundTraceContextTest {
  private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  private static final String SPAN_ID = "b7ad6b7169203331";
  private static final String SAMPLED_PARENT = "00-" + TRACE_ID + "-" + SPAN_ID + "-01";
  private static final TextMapPropagator W3C =
      TextMapPropagator.composite(
          W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance());
  private static final String DROPPED = "ktrdr.telemetry.propagation.dropped";

  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final SdkMeterProvider meterProvider =
      SdkMeterProvider.builder().registerMetricReader(reader).build();

  @AfterEach
  void closeMeters() {
    meterProvider.close();
  }

  /** Request headers, each possibly repeated; names are looked up as the propagators spell them. */
  private static final class Headers implements TextMapGetter<Map<String, List<String>>> {
    static final Headers INSTANCE = new Headers();

    @Override
    public Iterable<String> keys(Map<String, List<String>> carrier) {
      return carrier.keySet();
    }

    @Override
    public @Nullable String get(@Nullable Map<String, List<String>> carrier, String key) {
      List<String> values = carrier == null ? null : carrier.get(key);
      return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public Iterator<String> getAll(@Nullable Map<String, List<String>> carrier, String key) {
      List<String> values = carrier == null ? null : carrier.get(key);
      return values == null ? Collections.emptyIterator() : values.iterator();
    }
  }

  /** A propagator of test formats: it only extracts. */
  private abstract static class ExtractOnly implements TextMapPropagator {
    @Override
    public Collection<String> fields() {
      return List.of();
    }

    @Override
    public <C> void inject(Context context, @Nullable C carrier, TextMapSetter<C> setter) {}
  }

  private static Map<String, List<String>> headers(String... namesAndValues) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      headers.computeIfAbsent(namesAndValues[i], k -> new ArrayList<>()).add(namesAndValues[i + 1]);
    }
    return headers;
  }

  private static InboundTraceContext.Settings settings(
      String policy,
      @Nullable Collection<String> keys,
      int baggageEntries,
      int baggageBytes,
      int traceStateEntries,
      int traceStateChars) {
    return new InboundTraceContext.Settings(
        policy, keys, baggageEntries, baggageBytes, traceStateEntries, traceStateChars);
  }

  private static InboundTraceContext.Settings defaults(String policy) {
    return settings(policy, null, -1, -1, -1, -1);
  }

  private InboundTraceContext.Extractor<Map<String, List<String>>> extractor(
      InboundTraceContext.Settings settings) {
    return extractor(settings, W3C);
  }

  private InboundTraceContext.Extractor<Map<String, List<String>>> extractor(
      InboundTraceContext.Settings settings, TextMapPropagator propagator) {
    InboundTraceContext inbound = InboundTraceContext.create(settings);
    inbound.bindMetrics(meterProvider.get("test"));
    return inbound.extractor(propagator, Headers.INSTANCE);
  }

  private long dropped(String field) {
    List<Long> values = new ArrayList<>();
    for (MetricData metric : reader.collectAllMetrics()) {
      if (metric.getName().equals(DROPPED)) {
        for (LongPointData point : metric.getLongSumData().getPoints()) {
          if (field.equals(point.getAttributes().get(AttributeKey.stringKey("field")))) {
            values.add(point.getValue());
          }
        }
      }
    }
    assertThat(values).as("one %s point of %s", field, DROPPED).hasSize(1);
    return values.get(0);
  }

  private static Map<String, String> baggage(Context context) {
    Map<String, String> entries = new LinkedHashMap<>();
    Baggage.fromContext(context).forEach((key, entry) -> entries.put(key, entry.getValue()));
    return entries;
  }

  private static List<String> traceState(Context context) {
    List<String> entries = new ArrayList<>();
    Span.fromContext(context)
        .getSpanContext()
        .getTraceState()
        .forEach((key, value) -> entries.add(key + "=" + value));
    return entries;
  }

  private static String numbered(String prefix, int count, String suffix) {
    List<String> members = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      members.add(String.format("%s%02d=%s", prefix, i, suffix));
    }
    return String.join(",", members);
  }

  private static SamplingDecision decide(Sampler sampler, Context parent) {
    return sampler
        .shouldSample(
            parent,
            Span.fromContext(parent).getSpanContext().getTraceId(),
            "GET",
            SpanKind.SERVER,
            Attributes.empty(),
            List.of())
        .getDecision();
  }

  /** Follows a parent's sampled flag; samples nothing without one. */
  private static final Sampler FOLLOWS_PARENT =
      InboundTraceContext.ignoringUntrustedFlags(Sampler.parentBased(Sampler.alwaysOff()));

  // --- settings: defaults, description -------------------------------------------------------

  @Test
  void trustWithThePropagatorsLimitsChangesNothing() {
    InboundTraceContext.Settings trust = defaults("trust");
    assertThat(trust.changesAnything()).isFalse();
    assertThat(trust.atTheEdge()).isFalse();
    assertThat(trust.bounds(false)).isNull();
    assertThat(trust.describe()).isEqualTo("trust");
    // Each limit set exactly to the propagator's own is no limit either; "*" is every key.
    assertThat(settings("trust", List.of("*"), 64, 8192, 32, 512).changesAnything()).isFalse();
  }

  @Test
  void eachLimitOneBelowThePropagatorsBoundsTrustedCallers() {
    assertThat(settings("trust", null, 63, -1, -1, -1).changesAnything()).isTrue();
    assertThat(settings("trust", null, -1, 8191, -1, -1).changesAnything()).isTrue();
    assertThat(settings("trust", null, -1, -1, 31, -1).changesAnything()).isTrue();
    assertThat(settings("trust", null, -1, -1, -1, 511).changesAnything()).isTrue();
    assertThat(settings("trust", List.of("tenant"), -1, -1, -1, -1).changesAnything()).isTrue();
    assertThat(settings("trust", null, 63, -1, -1, -1).describe())
        .isEqualTo(
            "trust; baggage keys * (at most 63 entries, 8192 bytes), tracestate at most 32"
                + " entries, 512 chars");
  }

  @Test
  void defaultLimitsForTrustedAndEdgeCallers() {
    InboundTraceContext.Bounds trusted = settings("trust", null, 63, -1, -1, -1).bounds(false);
    assertThat(trusted).isNotNull();
    assertThat(trusted.keys).isNull();
    assertThat(trusted.baggageEntries).isEqualTo(63);
    assertThat(trusted.baggageBytes).isEqualTo(InboundTraceContext.MAX_BAGGAGE_BYTES);
    assertThat(trusted.traceStateEntries).isEqualTo(InboundTraceContext.MAX_TRACESTATE_ENTRIES);
    assertThat(trusted.traceStateChars).isEqualTo(InboundTraceContext.MAX_TRACESTATE_CHARS);

    InboundTraceContext.Bounds edge = defaults("new_root").bounds(true);
    assertThat(edge).isNotNull();
    assertThat(edge.keys).isEmpty();
    assertThat(edge.baggageEntries).isEqualTo(8);
    assertThat(edge.baggageBytes).isEqualTo(512);
    assertThat(edge.traceStateEntries).isEqualTo(0);
    assertThat(edge.traceStateChars).isEqualTo(256);

    // 0 is a setting (drop the field), not "unset".
    InboundTraceContext.Bounds zero = settings("trust", null, 0, 0, 0, 0).bounds(false);
    assertThat(zero).isNotNull();
    assertThat(zero.baggageEntries).isZero();
    assertThat(zero.baggageBytes).isZero();
    assertThat(zero.traceStateEntries).isZero();
    assertThat(zero.traceStateChars).isZero();
  }

  @Test
  void describesWhatAppliesToUntrustedCallers() {
    assertThat(defaults("ignore_sampled").describe())
        .isEqualTo("ignore_sampled; baggage dropped, tracestate dropped");
    assertThat(defaults("new_root").describe())
        .isEqualTo("new_root; baggage dropped, tracestate dropped");
    assertThat(settings("new_root", List.of("tenant", "region"), -1, -1, 4, -1).describe())
        .isEqualTo(
            "new_root; baggage keys region,tenant (at most 8 entries, 512 bytes), tracestate at"
                + " most 4 entries, 256 chars");
    assertThat(settings("ignore_sampled", List.of("*"), 2, 100, 1, 10).describe())
        .isEqualTo(
            "ignore_sampled; baggage keys * (at most 2 entries, 100 bytes), tracestate at most 1"
                + " entries, 10 chars");
    assertThat(settings("trust", null, 0, -1, -1, 0).describe())
        .isEqualTo("trust; baggage dropped, tracestate dropped");
    assertThat(settings("trust", List.of(), -1, -1, -1, -1).describe())
        .isEqualTo("trust; baggage dropped, tracestate at most 32 entries, 512 chars");
    assertThat(settings("trust", List.of("*"), -1, 0, -1, -1).describe())
        .isEqualTo("trust; baggage dropped, tracestate at most 32 entries, 512 chars");
    assertThat(defaults("ignore_sampled").changesAnything()).isTrue();
    assertThat(defaults("ignore_sampled").atTheEdge()).isTrue();
    assertThat(defaults("new_root").atTheEdge()).isTrue();
  }

  @Test
  void policyAndNewRoots() {
    assertThat(InboundTraceContext.create(defaults("trust")).policy()).isEqualTo("trust");
    assertThat(InboundTraceContext.create(defaults("new_root")).policy()).isEqualTo("new_root");
    assertThat(InboundTraceContext.create(defaults("new_root")).startsNewRoots()).isTrue();
    assertThat(InboundTraceContext.create(defaults("ignore_sampled")).startsNewRoots()).isFalse();
    assertThat(InboundTraceContext.create(defaults("trust")).startsNewRoots()).isFalse();
  }

  @Test
  void edgeSamplerHashesTheTraceIdRatios() {
    assertThat(InboundTraceContext.edgeSampler("traceidratio")).isEqualTo(KeyedRatioSampler.NAME);
    assertThat(InboundTraceContext.edgeSampler("parentbased_traceidratio"))
        .isEqualTo(KeyedRatioSampler.PARENT_BASED_NAME);
    assertThat(InboundTraceContext.edgeSampler("parentbased_always_on"))
        .isEqualTo("parentbased_always_on");
  }

  // --- registration ----------------------------------------------------------------------------

  @Test
  void registeredPerSdkUntilUnregistered() {
    try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().build();
        OpenTelemetrySdk other = OpenTelemetrySdk.builder().build()) {
      InboundTraceContext inbound = InboundTraceContext.create(defaults("new_root"));
      assertThat(InboundTraceContext.of(sdk)).isNull();
      inbound.register(sdk);
      assertThat(InboundTraceContext.of(sdk)).isSameAs(inbound);
      assertThat(InboundTraceContext.of(other)).isNull();
      InboundTraceContext.unregister(sdk);
      assertThat(InboundTraceContext.of(sdk)).isNull();
    }
  }

  // --- policies --------------------------------------------------------------------------------

  /** The context of a sampled caller under {@code policy}: the caller's span, unchanged. */
  private Context fromSampledCaller(String policy, boolean trusted) {
    Context context =
        extractor(defaults(policy))
            .extract(Context.root(), headers("traceparent", SAMPLED_PARENT), trusted);
    SpanContext parent = Span.fromContext(context).getSpanContext();
    assertThat(parent.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(parent.getSpanId()).isEqualTo(SPAN_ID);
    assertThat(parent.isSampled()).isTrue();
    assertThat(parent.isRemote()).isTrue();
    return context;
  }

  @Test
  void trustKeepsTheCallersParentAndItsSampledFlag() {
    Context context = fromSampledCaller("trust", false);
    assertThat(decide(FOLLOWS_PARENT, context)).isEqualTo(SamplingDecision.RECORD_AND_SAMPLE);
  }

  @Test
  void ignoreSampledKeepsTheParentButNotItsSampledFlag() {
    Context untrusted = fromSampledCaller("ignore_sampled", false);
    // Decided as for a new trace: the root sampler of parentbased(always_off).
    assertThat(decide(FOLLOWS_PARENT, untrusted)).isEqualTo(SamplingDecision.DROP);
    // A span of this service's own under it is a local parent: its flag is followed.
    Context local =
        untrusted.with(
            Span.wrap(
                SpanContext.create(
                    TRACE_ID,
                    "00f067aa0ba902b7",
                    TraceFlags.getSampled(),
                    TraceState.getDefault())));
    assertThat(decide(FOLLOWS_PARENT, local)).isEqualTo(SamplingDecision.RECORD_AND_SAMPLE);

    Context trusted = fromSampledCaller("ignore_sampled", true);
    assertThat(decide(FOLLOWS_PARENT, trusted)).isEqualTo(SamplingDecision.RECORD_AND_SAMPLE);
  }

  @Test
  void newRootHandsTheCallersContextToThePluginToLinkUnmarked() {
    // The plugin links the new root to this context and starts a trace of its own
    // (RequestTelemetryFilter, EdgeTracingIT); the sampler then decides on the new trace.
    Context context = fromSampledCaller("new_root", false);
    assertThat(decide(FOLLOWS_PARENT, context)).isEqualTo(SamplingDecision.RECORD_AND_SAMPLE);
  }

  @Test
  void samplerDescription() {
    assertThat(FOLLOWS_PARENT.getDescription())
        .isEqualTo(
            "IgnoreUntrustedSampledFlag{"
                + Sampler.parentBased(Sampler.alwaysOff()).getDescription()
                + "}");
    assertThat(FOLLOWS_PARENT.toString()).isEqualTo(FOLLOWS_PARENT.getDescription());
  }

  // --- the drop counter ------------------------------------------------------------------------

  @Test
  void counterStartsAtZeroForBothFieldsAndCountsNothingBeforeBinding() {
    InboundTraceContext inbound = InboundTraceContext.create(defaults("new_root"));
    inbound
        .extractor(W3C, Headers.INSTANCE)
        .extract(Context.root(), headers("baggage", "a=1,b=2", "tracestate", "k=v"), false);
    inbound.bindMetrics(meterProvider.get("test"));
    assertThat(dropped("baggage")).isZero();
    assertThat(dropped("tracestate")).isZero();
    MetricData metric =
        reader.collectAllMetrics().stream()
            .filter(m -> m.getName().equals(DROPPED))
            .findFirst()
            .orElseThrow();
    assertThat(metric.getUnit()).isEqualTo("{entry}");
    assertThat(metric.getDescription())
        .isEqualTo(
            "Baggage and tracestate entries a caller sent that were dropped: not allowed, or"
                + " beyond the limits.");
    assertThat(metric.getLongSumData().isMonotonic()).isTrue();
  }

  // --- baggage -----------------------------------------------------------------------------

  /** The baggage an untrusted caller's {@code header} keeps with every key allowed. */
  private Context withAllKeys(int maxEntries, int maxBytes, String... baggageHeaders) {
    String[] request = new String[baggageHeaders.length * 2];
    for (int i = 0; i < baggageHeaders.length; i++) {
      request[2 * i] = "baggage";
      request[2 * i + 1] = baggageHeaders[i];
    }
    return extractor(settings("new_root", List.of("*"), maxEntries, maxBytes, -1, -1))
        .extract(Context.root(), headers(request), false);
  }

  @Test
  void edgeDefaultsHideBaggageAndCountItsMembers() {
    Context context =
        extractor(defaults("ignore_sampled"))
            .extract(
                Context.root(),
                headers("traceparent", SAMPLED_PARENT, "baggage", " a=1, b=2,, c=3 "),
                false);
    assertThat(baggage(context)).isEmpty();
    assertThat(dropped("baggage")).isEqualTo(3);
    assertThat(dropped("tracestate")).isZero();
  }

  @Test
  void hiddenBaggageInSeveralHeadersIsCountedWhole() {
    Context context = withAllKeys(0, -1, "a=1,b=2", "c=3");
    assertThat(baggage(context)).isEmpty();
    assertThat(dropped("baggage")).isEqualTo(3);
  }

  @Test
  void zeroBytesHidesBaggage() {
    Context context = withAllKeys(-1, 0, "a=1");
    assertThat(baggage(context)).isEmpty();
    assertThat(dropped("baggage")).isEqualTo(1);
  }

  @Test
  void theServicesOwnBaggageStaysWhenTheCallersIsHidden() {
    Context base = Context.root().with(Baggage.builder().put("own", "1").build());
    Context context =
        extractor(defaults("new_root")).extract(base, headers("baggage", "a=1,b=2"), false);
    assertThat(baggage(context)).containsExactly(Map.entry("own", "1"));
    assertThat(dropped("baggage")).isEqualTo(2);
  }

  @Test
  void baggageOfAnotherFormatIsDroppedWhenBaggageIsHidden() {
    // Reads "ctx-KEY: VALUE" headers into baggage, as the Jaeger propagator reads uberctx-.
    TextMapPropagator prefixed =
        new ExtractOnly() {
          @Override
          public <C> Context extract(
              Context context, @Nullable C carrier, TextMapGetter<C> getter) {
            var builder = Baggage.builder();
            boolean any = false;
            for (String key : getter.keys(carrier)) {
              if (key.startsWith("ctx-")) {
                builder.put(key.substring(4), getter.get(carrier, key));
                any = true;
              }
            }
            return any ? context.with(builder.build()) : context;
          }
        };
    Context base = Context.root().with(Baggage.builder().put("own", "1").build());
    Context context =
        extractor(defaults("new_root"), prefixed)
            .extract(base, headers("ctx-a", "1", "ctx-b", "2"), false);
    assertThat(baggage(context)).containsExactly(Map.entry("own", "1"));
    assertThat(dropped("baggage")).isEqualTo(2);
  }

  @Test
  void allowListKeepsOnlyItsKeys() {
    Context context =
        extractor(settings("new_root", List.of("tenant", "region"), -1, -1, -1, -1))
            .extract(
                Context.root(), headers("baggage", "region=eu,tenant=t1,user=u9,zone=z"), false);
    assertThat(baggage(context))
        .containsExactly(Map.entry("region", "eu"), Map.entry("tenant", "t1"));
    assertThat(dropped("baggage")).isEqualTo(2);
  }

  @Test
  void starAllowsEveryKeyUpToTheEntryLimit() {
    InboundTraceContext.Extractor<Map<String, List<String>>> extractor =
        extractor(settings("new_root", List.of("*"), -1, -1, -1, -1));
    Context atLimit =
        extractor.extract(Context.root(), headers("baggage", numbered("k", 8, "v")), false);
    assertThat(baggage(atLimit)).hasSize(8);
    assertThat(dropped("baggage")).isZero();

    Context over =
        extractor.extract(Context.root(), headers("baggage", numbered("k", 9, "v")), false);
    assertThat(baggage(over)).hasSize(8).containsKeys("k00", "k07").doesNotContainKey("k08");
    assertThat(dropped("baggage")).isEqualTo(1);
  }

  @Test
  void allowedEntriesOnlyCountTowardsTheEntryLimit() {
    Context context =
        extractor(settings("new_root", List.of("a", "c"), 1, -1, -1, -1))
            .extract(Context.root(), headers("baggage", "a=1,b=2,c=3"), false);
    assertThat(baggage(context)).containsExactly(Map.entry("a", "1"));
    assertThat(dropped("baggage")).isEqualTo(2);
  }

  @Test
  void byteLimitCountsKeyValueAndSeparators() {
    // "a=12345678" is 10 bytes, ",b=1234567" 10 more: 20 exactly fits 20.
    InboundTraceContext.Extractor<Map<String, List<String>>> atLimit =
        extractor(settings("new_root", List.of("*"), -1, 20, -1, -1));
    Context kept =
        atLimit.extract(Context.root(), headers("baggage", "a=12345678,b=1234567"), false);
    assertThat(baggage(kept))
        .containsExactly(Map.entry("a", "12345678"), Map.entry("b", "1234567"));
    assertThat(dropped("baggage")).isZero();
    Context over =
        atLimit.extract(Context.root(), headers("baggage", "a=12345678,b=12345678"), false);
    assertThat(baggage(over)).containsExactly(Map.entry("a", "12345678"));
    assertThat(dropped("baggage")).isEqualTo(1);
  }

  @Test
  void aSmallerEntryAfterADroppedOneIsStillKept() {
    // a=1 (3 bytes), ,b=123456 (9: 12 > 10, dropped), ,c=1 (4: 7).
    Context context = withAllKeys(-1, 10, "a=1,b=123456,c=1");
    assertThat(baggage(context)).containsExactly(Map.entry("a", "1"), Map.entry("c", "1"));
    assertThat(dropped("baggage")).isEqualTo(1);
  }

  @Test
  void byteLimitCountsUtf8BytesOfTheValue() {
    // "a=é": 1 + 1 + 2 bytes.
    Context kept = withAllKeys(-1, 4, "a=%C3%A9");
    assertThat(baggage(kept)).containsExactly(Map.entry("a", "é"));
    assertThat(dropped("baggage")).isZero();
  }

  @Test
  void byteLimitCountsUtf8BytesOfTheValueOneOver() {
    Context over = withAllKeys(-1, 3, "a=%C3%A9");
    assertThat(baggage(over)).isEmpty();
    assertThat(dropped("baggage")).isEqualTo(1);
  }

  @Test
  void byteLimitCountsMetadata() {
    String header = "a=1;p";
    String metadata =
        Baggage.fromContext(
                W3C.extract(Context.root(), headers("baggage", header), Headers.INSTANCE))
            .getEntry("a")
            .getMetadata()
            .getValue();
    assertThat(metadata).isNotEmpty();
    // "a=1", ";" and the metadata exactly fit; one byte less drops the entry.
    int size = 3 + 1 + metadata.length();
    Context kept = withAllKeys(-1, size, header);
    assertThat(Baggage.fromContext(kept).getEntry("a").getMetadata().getValue())
        .isEqualTo(metadata);
    assertThat(dropped("baggage")).isZero();
    Context over = withAllKeys(-1, size - 1, header);
    assertThat(baggage(over)).isEmpty();
    assertThat(dropped("baggage")).isEqualTo(1);
  }

  /** Sends {@code baggageEntries} and {@code traceStateEntries}; all must come through. */
  private void assertKeptWhole(
      InboundTraceContext.Settings settings,
      boolean trusted,
      int baggageEntries,
      int traceStateEntries) {
    Context context =
        extractor(settings)
            .extract(
                Context.root(),
                headers(
                    "traceparent",
                    SAMPLED_PARENT,
                    "baggage",
                    numbered("k", baggageEntries, "v"),
                    "tracestate",
                    numbered("t", traceStateEntries, "v")),
                trusted);
    assertThat(baggage(context)).hasSize(baggageEntries);
    assertThat(traceState(context)).hasSize(traceStateEntries);
    assertThat(dropped("baggage")).isZero();
    assertThat(dropped("tracestate")).isZero();
  }

  @Test
  void trustedCallersAtTheEdgeKeepEverythingWithoutLimitsSet() {
    assertKeptWhole(defaults("new_root"), true, 20, 10);
  }

  @Test
  void trustKeepsWhatThePropagatorKeeps() {
    assertKeptWhole(defaults("trust"), false, 64, 32);
  }

  @Test
  void limitsSetApplyToTrustedCallersTooButNotTheEdgeDefaults() {
    InboundTraceContext.Extractor<Map<String, List<String>>> extractor =
        extractor(settings("new_root", null, 2, -1, 3, -1));
    Map<String, List<String>> request =
        headers(
            "traceparent",
            SAMPLED_PARENT,
            "baggage",
            "a=1,b=2,c=3",
            "tracestate",
            numbered("t", 5, "v"));
    Context trusted = extractor.extract(Context.root(), request, true);
    assertThat(baggage(trusted)).containsExactly(Map.entry("a", "1"), Map.entry("b", "2"));
    assertThat(traceState(trusted)).containsExactly("t00=v", "t01=v", "t02=v");
    assertThat(dropped("baggage")).isEqualTo(1);
    assertThat(dropped("tracestate")).isEqualTo(2);

    // Untrusted: no allow-list set, so the edge default (none) drops the baggage whole.
    Context untrusted = extractor.extract(Context.root(), request, false);
    assertThat(baggage(untrusted)).isEmpty();
    assertThat(traceState(untrusted)).containsExactly("t00=v", "t01=v", "t02=v");
    assertThat(dropped("baggage")).isEqualTo(4);
    assertThat(dropped("tracestate")).isEqualTo(4);
  }

  // --- tracestate ----------------------------------------------------------------------------

  @Test
  void edgeDefaultsHideTraceStateAndCountItsMembers() {
    Context context =
        extractor(defaults("new_root"))
            .extract(
                Context.root(),
                headers("traceparent", SAMPLED_PARENT, "tracestate", "a=1,b=2,c=3"),
                false);
    SpanContext parent = Span.fromContext(context).getSpanContext();
    assertThat(parent.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(parent.getTraceState().isEmpty()).isTrue();
    assertThat(dropped("tracestate")).isEqualTo(3);
    assertThat(dropped("baggage")).isZero();
  }

  @Test
  void traceStateEntryLimitKeepsTheFirstOnes() {
    InboundTraceContext.Extractor<Map<String, List<String>>> extractor =
        extractor(settings("new_root", null, -1, -1, 2, -1));
    Context atLimit =
        extractor.extract(
            Context.root(), headers("traceparent", SAMPLED_PARENT, "tracestate", "b=1,a=2"), false);
    assertThat(traceState(atLimit)).containsExactly("b=1", "a=2");
    assertThat(dropped("tracestate")).isZero();

    Context over =
        extractor.extract(
            Context.root(),
            headers("traceparent", SAMPLED_PARENT, "tracestate", "c=3,b=1,a=2"),
            false);
    assertThat(traceState(over)).containsExactly("c=3", "b=1");
    SpanContext parent = Span.fromContext(over).getSpanContext();
    assertThat(parent.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(parent.getSpanId()).isEqualTo(SPAN_ID);
    assertThat(parent.isSampled()).isTrue();
    assertThat(parent.isRemote()).isTrue();
    assertThat(dropped("tracestate")).isEqualTo(1);
  }

  /** The tracestate kept of {@code header} with at most 4 entries and {@code maxChars}. */
  private List<String> traceStateKept(int maxChars, String header) {
    return traceState(
        extractor(settings("new_root", null, -1, -1, 4, maxChars))
            .extract(
                Context.root(),
                headers("traceparent", SAMPLED_PARENT, "tracestate", header),
                false));
  }

  @Test
  void traceStateCharLimitCountsSeparators() {
    // "a=1" is 3 chars, ",b=2" 4 more: 7 exactly fits 7.
    assertThat(traceStateKept(7, "a=1,b=2")).containsExactly("a=1", "b=2");
    assertThat(dropped("tracestate")).isZero();
  }

  @Test
  void traceStateCharLimitOneOver() {
    assertThat(traceStateKept(6, "a=1,b=2")).containsExactly("a=1");
    assertThat(dropped("tracestate")).isEqualTo(1);
  }

  @Test
  void aShorterTraceStateEntryAfterADroppedOneIsStillKept() {
    // a=1 (3), ,bb=22 (6: 9 > 8, dropped), ,c=3 (4: 7).
    assertThat(traceStateKept(8, "a=1,bb=22,c=3")).containsExactly("a=1", "c=3");
    assertThat(dropped("tracestate")).isEqualTo(1);
  }

  @Test
  void aSingleTraceStateEntryHasNoSeparator() {
    assertThat(traceStateKept(3, "a=1")).containsExactly("a=1");
    assertThat(dropped("tracestate")).isZero();
  }

  @Test
  void traceStateWithoutAParentIsNotRead() {
    Context context =
        extractor(settings("new_root", null, -1, -1, 1, -1))
            .extract(Context.root(), headers("tracestate", "a=1,b=2"), false);
    assertThat(Span.fromContext(context).getSpanContext().isValid()).isFalse();
    assertThat(dropped("tracestate")).isZero();
  }

  /** Records what a propagator is handed of the baggage and tracestate fields. */
  private static final class Recording extends ExtractOnly {
    final List<String> seen = new ArrayList<>();

    @Override
    public <C> Context extract(Context context, @Nullable C carrier, TextMapGetter<C> getter) {
      for (String field : List.of("baggage", "Tracestate")) {
        seen.add(field + " get " + getter.get(carrier, field));
        List<String> all = new ArrayList<>();
        getter.getAll(carrier, field).forEachRemaining(all::add);
        seen.add(field + " getAll " + all);
      }
      return context;
    }
  }

  @Test
  void aFieldDroppedWholeIsAbsentForThePropagator() {
    Map<String, List<String>> request =
        headers("baggage", "a=1,a=2", "Tracestate", "t=1", "traceparent", SAMPLED_PARENT);
    Recording baggageHidden = new Recording();
    extractor(settings("trust", List.of(), -1, -1, -1, -1), baggageHidden)
        .extract(Context.root(), request, false);
    assertThat(baggageHidden.seen)
        .containsExactly(
            "baggage get null",
            "baggage getAll []",
            "Tracestate get t=1",
            "Tracestate getAll [t=1]");
    // Counted by the header's members, not parsed: a repeated key counts twice.
    assertThat(dropped("baggage")).isEqualTo(4);
    assertThat(dropped("tracestate")).isZero();

    Recording traceStateHidden = new Recording();
    extractor(settings("trust", null, -1, -1, 0, -1), traceStateHidden)
        .extract(Context.root(), request, false);
    assertThat(traceStateHidden.seen)
        .containsExactly(
            "baggage get a=1,a=2",
            "baggage getAll [a=1,a=2]",
            "Tracestate get null",
            "Tracestate getAll []");
    assertThat(dropped("tracestate")).isEqualTo(2);
  }

  // --- members, a throwing propagator -----------------------------------------------------

  @Test
  void membersOfAListHeader() {
    assertThat(InboundTraceContext.members("")).isZero();
    assertThat(InboundTraceContext.members(" \t, ,")).isZero();
    assertThat(InboundTraceContext.members("a")).isEqualTo(1);
    assertThat(InboundTraceContext.members("a,b")).isEqualTo(2);
    assertThat(InboundTraceContext.members("a,b,")).isEqualTo(2);
    assertThat(InboundTraceContext.members(",a, \t,b ")).isEqualTo(2);
  }

  @Test
  void aThrowingPropagatorReachesTheCallerThatGuardsIt() {
    // RequestTelemetryFilter catches it, counts it and goes on without the caller's context.
    IllegalStateException broken = new IllegalStateException("broken vendor format");
    TextMapPropagator throwing =
        new ExtractOnly() {
          @Override
          public <C> Context extract(
              Context context, @Nullable C carrier, TextMapGetter<C> getter) {
            throw broken;
          }
        };
    for (String policy : List.of("trust", "ignore_sampled", "new_root")) {
      InboundTraceContext.Extractor<Map<String, List<String>>> extractor =
          InboundTraceContext.create(defaults(policy)).extractor(throwing, Headers.INSTANCE);
      for (boolean trusted : new boolean[] {false, true}) {
        assertThatThrownBy(
                () ->
                    extractor.extract(
                        Context.root(), headers("traceparent", SAMPLED_PARENT), trusted))
            .isSameAs(broken);
      }
    }
  }
}
