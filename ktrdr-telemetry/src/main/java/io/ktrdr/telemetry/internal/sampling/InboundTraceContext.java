package io.ktrdr.telemetry.internal.sampling;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.baggage.BaggageBuilder;
import io.opentelemetry.api.baggage.BaggageEntry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.TraceStateBuilder;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * What a service accepts of the trace context its callers send, applied by the Javalin plugin when
 * it extracts a request's context: baggage keys outside an allow-list, baggage entries and bytes
 * beyond a limit, and {@code tracestate} entries beyond a limit are dropped and counted in {@code
 * ktrdr_telemetry_propagation_dropped_total{field="baggage"|"tracestate"}}; a field that is dropped
 * whole is hidden from the propagator, so it is not even parsed. With {@code ignore_sampled} the
 * context of an untrusted caller is marked, and {@link #ignoringUntrustedFlags(Sampler)} makes the
 * sampler decide for such a parent as for a new trace; with {@code new_root} the plugin starts a
 * new trace linked to the caller's.
 *
 * <p>{@code KtrdrTelemetry} registers the instance of its SDK ({@link #register}); the plugin finds
 * it with {@link #of(OpenTelemetry)}. None is registered for a service that trusts its callers with
 * the propagator's own limits: its requests take the plain path.
 *
 * <p>Internal: not part of the public API.
 */
public final class InboundTraceContext {
  /** Policies, by their configuration spelling. */
  public static final String TRUST = "trust";

  public static final String IGNORE_SAMPLED = "ignore_sampled";
  public static final String NEW_ROOT = "new_root";

  /** OpenTelemetry's W3C baggage propagator keeps at most this many entries. */
  public static final int PROPAGATOR_BAGGAGE_ENTRIES = 64;

  /** W3C limits: the most any setting may allow. */
  public static final int MAX_BAGGAGE_ENTRIES = 180;

  public static final int MAX_BAGGAGE_BYTES = 8192;
  public static final int MAX_TRACESTATE_ENTRIES = 32;
  public static final int MAX_TRACESTATE_CHARS = 512;

  /** Edge defaults: far below the W3C limits. */
  public static final int EDGE_BAGGAGE_ENTRIES = 8;

  public static final int EDGE_BAGGAGE_BYTES = 512;
  public static final int EDGE_TRACESTATE_ENTRIES = 0;
  public static final int EDGE_TRACESTATE_CHARS = 256;

  private static final String BAGGAGE = "baggage";
  private static final String TRACESTATE = "tracestate";
  private static final AttributeKey<String> FIELD = AttributeKey.stringKey("field");
  private static final Attributes BAGGAGE_DROPPED = Attributes.of(FIELD, BAGGAGE);
  private static final Attributes TRACESTATE_DROPPED = Attributes.of(FIELD, TRACESTATE);

  /** Marks the context extracted from an untrusted caller under {@code ignore_sampled}. */
  private static final ContextKey<Boolean> UNTRUSTED_PARENT =
      ContextKey.named("ktrdr-untrusted-parent");

  /** The instance of each SDK that has one; weak, so that a dropped SDK is not held. */
  private static final Map<OpenTelemetry, InboundTraceContext> REGISTERED =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final String policy;
  private final Bounds edge;
  private final @Nullable Bounds trusted;
  private volatile @Nullable LongCounter dropped;

  private InboundTraceContext(String policy, Bounds edge, @Nullable Bounds trusted) {
    this.policy = policy;
    this.edge = edge;
    this.trusted = trusted;
  }

  /**
   * What the service accepts from callers. Each limit is {@code -1} when not set (the policy's
   * default applies); {@code baggageKeys} is {@code null} when not set, may hold {@code *} (all).
   */
  public static final class Settings {
    final String policy;
    final @Nullable Set<String> baggageKeys;
    final int baggageMaxEntries;
    final int baggageMaxBytes;
    final int traceStateMaxEntries;
    final int traceStateMaxChars;

    public Settings(
        String policy,
        @Nullable Collection<String> baggageKeys,
        int baggageMaxEntries,
        int baggageMaxBytes,
        int traceStateMaxEntries,
        int traceStateMaxChars) {
      this.policy = policy;
      this.baggageKeys = baggageKeys == null ? null : Set.copyOf(baggageKeys);
      this.baggageMaxEntries = baggageMaxEntries;
      this.baggageMaxBytes = baggageMaxBytes;
      this.traceStateMaxEntries = traceStateMaxEntries;
      this.traceStateMaxChars = traceStateMaxChars;
    }

    /** Whether anything differs from trusting callers with the propagator's own limits. */
    public boolean changesAnything() {
      return !policy.equals(TRUST) || bounds(false) != null;
    }

    /** Whether callers' sampling decisions are ignored or their traces replaced. */
    public boolean atTheEdge() {
      return !policy.equals(TRUST);
    }

    /**
     * The bounds for an edge caller, or for a trusted one ({@code null}: none beyond the
     * propagator's).
     */
    @Nullable Bounds bounds(boolean edge) {
      Set<String> keys = baggageKeys != null ? baggageKeys : edge ? Set.of() : null;
      if (keys != null && keys.contains("*")) {
        keys = null;
      }
      Bounds bounds =
          new Bounds(
              keys,
              pick(baggageMaxEntries, edge ? EDGE_BAGGAGE_ENTRIES : PROPAGATOR_BAGGAGE_ENTRIES),
              pick(baggageMaxBytes, edge ? EDGE_BAGGAGE_BYTES : MAX_BAGGAGE_BYTES),
              pick(traceStateMaxEntries, edge ? EDGE_TRACESTATE_ENTRIES : MAX_TRACESTATE_ENTRIES),
              pick(traceStateMaxChars, edge ? EDGE_TRACESTATE_CHARS : MAX_TRACESTATE_CHARS));
      return bounds.unbounded() ? null : bounds;
    }

    private static int pick(int value, int fallback) {
      return value < 0 ? fallback : value;
    }

    /** For the start-up line. */
    public String describe() {
      Bounds bounds = bounds(atTheEdge());
      return policy + (bounds == null ? "" : "; " + bounds);
    }
  }

  /** Limits applied to one caller's context. */
  static final class Bounds {
    final @Nullable Set<String> keys; // null: every key
    final int baggageEntries;
    final int baggageBytes;
    final int traceStateEntries;
    final int traceStateChars;

    Bounds(
        @Nullable Set<String> keys,
        int baggageEntries,
        int baggageBytes,
        int traceStateEntries,
        int traceStateChars) {
      this.keys = keys;
      this.baggageEntries = baggageEntries;
      this.baggageBytes = baggageBytes;
      this.traceStateEntries = traceStateEntries;
      this.traceStateChars = traceStateChars;
    }

    boolean hidesBaggage() {
      return baggageEntries == 0 || baggageBytes == 0 || (keys != null && keys.isEmpty());
    }

    boolean hidesTraceState() {
      return traceStateEntries == 0 || traceStateChars == 0;
    }

    boolean boundsBaggage() {
      return keys != null
          || baggageEntries < PROPAGATOR_BAGGAGE_ENTRIES
          || baggageBytes < MAX_BAGGAGE_BYTES;
    }

    boolean boundsTraceState() {
      return traceStateEntries < MAX_TRACESTATE_ENTRIES || traceStateChars < MAX_TRACESTATE_CHARS;
    }

    boolean unbounded() {
      return !boundsBaggage() && !boundsTraceState();
    }

    @Override
    public String toString() {
      String baggage =
          hidesBaggage()
              ? "baggage dropped"
              : "baggage keys "
                  + (keys == null ? "*" : String.join(",", new java.util.TreeSet<>(keys)))
                  + " (at most "
                  + baggageEntries
                  + " entries, "
                  + baggageBytes
                  + " bytes)";
      String traceState =
          hidesTraceState()
              ? "tracestate dropped"
              : "tracestate at most "
                  + traceStateEntries
                  + " entries, "
                  + traceStateChars
                  + " chars";
      return baggage + ", " + traceState;
    }
  }

  /** What {@code settings} say. */
  public static InboundTraceContext create(Settings settings) {
    Bounds edge = settings.bounds(settings.atTheEdge());
    Bounds trusted = settings.bounds(false);
    return new InboundTraceContext(
        settings.policy,
        edge == null ? new Bounds(null, 64, MAX_BAGGAGE_BYTES, 32, 512) : edge,
        trusted);
  }

  /**
   * The sampler to configure instead of {@code sampler} ({@code otel.traces.sampler}) at the edge:
   * {@code traceidratio} reads bits of the trace id, which a caller can choose; the keyed variant
   * hashes them with a per-process secret.
   */
  public static String edgeSampler(String sampler) {
    switch (sampler) {
      case "traceidratio":
        return KeyedRatioSampler.NAME;
      case "parentbased_traceidratio":
        return KeyedRatioSampler.PARENT_BASED_NAME;
      default:
        return sampler;
    }
  }

  /**
   * Creates {@code ktrdr.telemetry.propagation.dropped} on {@code meter}, both fields at 0; drops
   * before are not counted.
   */
  public void bindMetrics(Meter meter) {
    LongCounter counter =
        meter
            .counterBuilder("ktrdr.telemetry.propagation.dropped")
            .setUnit("{entry}")
            .setDescription(
                "Baggage and tracestate entries a caller sent that were dropped: not allowed, or"
                    + " beyond the limits.")
            .build();
    counter.add(0, BAGGAGE_DROPPED);
    counter.add(0, TRACESTATE_DROPPED);
    this.dropped = counter;
  }

  /** The policy, by its configuration spelling. */
  public String policy() {
    return policy;
  }

  /** Whether a request from an untrusted caller starts a new trace linked to the caller's. */
  public boolean startsNewRoots() {
    return policy.equals(NEW_ROOT);
  }

  /** Makes this the instance {@link #of(OpenTelemetry)} finds for {@code sdk}. */
  public void register(OpenTelemetry sdk) {
    REGISTERED.put(sdk, this);
  }

  /** Forgets the instance of {@code sdk} (closed). */
  public static void unregister(OpenTelemetry sdk) {
    REGISTERED.remove(sdk);
  }

  /** The instance registered for {@code openTelemetry}, or {@code null}: callers are trusted. */
  public static @Nullable InboundTraceContext of(OpenTelemetry openTelemetry) {
    return REGISTERED.get(openTelemetry);
  }

  /** Extraction with {@code propagator} of requests of one carrier type, with reusable getters. */
  public <C> Extractor<C> extractor(TextMapPropagator propagator, TextMapGetter<C> getter) {
    return new Extractor<>(this, propagator, getter);
  }

  /** Extracts inbound contexts from carriers of one type. */
  public static final class Extractor<C> {
    private final InboundTraceContext inbound;
    private final TextMapPropagator propagator;
    private final TextMapGetter<C> getter;
    private final HidingGetter<C> edgeGetter;
    private final @Nullable HidingGetter<C> trustedGetter;

    Extractor(InboundTraceContext inbound, TextMapPropagator propagator, TextMapGetter<C> getter) {
      this.inbound = inbound;
      this.propagator = propagator;
      this.getter = getter;
      this.edgeGetter = new HidingGetter<>(getter, inbound.edge, inbound);
      Bounds trusted = inbound.trusted;
      this.trustedGetter = trusted == null ? null : new HidingGetter<>(getter, trusted, inbound);
    }

    /**
     * The context {@code carrier} brings, bounded; from an untrusted caller under {@code
     * ignore_sampled}, marked so that {@link #ignoringUntrustedFlags} decides for it.
     */
    public Context extract(Context base, C carrier, boolean trustedCaller) {
      InboundTraceContext p = inbound;
      Context context;
      if (!trustedCaller) {
        context = p.bounded(propagator, base, carrier, getter, edgeGetter, p.edge);
      } else if (trustedGetter != null) {
        context = p.bounded(propagator, base, carrier, getter, trustedGetter, trustedGetter.bounds);
      } else {
        context = propagator.extract(base, carrier, getter);
      }
      if (!trustedCaller && p.policy.equals(IGNORE_SAMPLED)) {
        SpanContext caller = Span.fromContext(context).getSpanContext();
        if (caller.isValid() && caller.isRemote()) {
          context = context.with(UNTRUSTED_PARENT, Boolean.TRUE);
        }
      }
      return context;
    }
  }

  private <C> Context bounded(
      TextMapPropagator delegate,
      Context base,
      @Nullable C carrier,
      TextMapGetter<C> getter,
      HidingGetter<C> hiding,
      Bounds bounds) {
    boolean hides = bounds.hidesBaggage() || bounds.hidesTraceState();
    Context context = delegate.extract(base, carrier, hides ? hiding : getter);
    if (bounds.hidesBaggage()) {
      // Baggage in another format than W3C's header (a Jaeger or OT propagator) is dropped too.
      Baggage baggage = Baggage.fromContext(context);
      if (!baggage.isEmpty() && baggage != Baggage.fromContext(base)) {
        count(baggage.size(), BAGGAGE_DROPPED);
        context = context.with(Baggage.fromContext(base));
      }
    } else if (bounds.boundsBaggage()) {
      Baggage baggage = Baggage.fromContext(context);
      if (!baggage.isEmpty()) {
        Baggage kept = boundBaggage(baggage, bounds);
        if (kept != baggage) {
          context = context.with(kept);
        }
      }
    }
    if (bounds.boundsTraceState() && !bounds.hidesTraceState()) {
      SpanContext span = Span.fromContext(context).getSpanContext();
      if (span.isValid() && !span.getTraceState().isEmpty()) {
        TraceState kept = boundTraceState(span.getTraceState(), bounds);
        if (kept != span.getTraceState()) {
          context =
              context.with(
                  Span.wrap(
                      SpanContext.createFromRemoteParent(
                          span.getTraceId(), span.getSpanId(), span.getTraceFlags(), kept)));
        }
      }
    }
    return context;
  }

  private Baggage boundBaggage(Baggage baggage, Bounds bounds) {
    BaggageFilter filter = new BaggageFilter(bounds);
    baggage.forEach(filter);
    if (filter.dropped == 0) {
      return baggage;
    }
    count(filter.dropped, BAGGAGE_DROPPED);
    return filter.builder.build();
  }

  /** Keeps allowed entries, in the baggage's order, while they fit the limits. */
  private static final class BaggageFilter implements BiConsumer<String, BaggageEntry> {
    private final Bounds bounds;
    final BaggageBuilder builder = Baggage.builder();
    int kept;
    int bytes;
    int dropped;

    BaggageFilter(Bounds bounds) {
      this.bounds = bounds;
    }

    @Override
    public void accept(String key, BaggageEntry entry) {
      Set<String> keys = bounds.keys;
      String metadata = entry.getMetadata().getValue();
      int size =
          (kept == 0 ? 0 : 1)
              + key.length()
              + 1
              + entry.getValue().getBytes(StandardCharsets.UTF_8).length
              + (metadata.isEmpty() ? 0 : 1 + metadata.length());
      if ((keys != null && !keys.contains(key))
          || kept >= bounds.baggageEntries
          || bytes + size > bounds.baggageBytes) {
        dropped++;
        return;
      }
      builder.put(key, entry.getValue(), entry.getMetadata());
      kept++;
      bytes += size;
    }
  }

  private TraceState boundTraceState(TraceState traceState, Bounds bounds) {
    List<String> keys = new java.util.ArrayList<>(traceState.size());
    List<String> values = new java.util.ArrayList<>(traceState.size());
    int[] chars = {0};
    traceState.forEach(
        (key, value) -> {
          int size = (keys.isEmpty() ? 0 : 1) + key.length() + 1 + value.length();
          if (keys.size() < bounds.traceStateEntries && chars[0] + size <= bounds.traceStateChars) {
            keys.add(key);
            values.add(value);
            chars[0] += size;
          }
        });
    int dropped = traceState.size() - keys.size();
    if (dropped == 0) {
      return traceState;
    }
    count(dropped, TRACESTATE_DROPPED);
    // The builder puts each entry first: add the kept ones from the last to the first.
    TraceStateBuilder builder = TraceState.builder();
    for (int i = keys.size() - 1; i >= 0; i--) {
      builder.put(keys.get(i), values.get(i));
    }
    return builder.build();
  }

  void count(int entries, Attributes field) {
    LongCounter counter = dropped;
    if (counter != null && entries > 0) {
      counter.add(entries, field);
    }
  }

  /** Members of a comma-separated list header, without allocating. */
  static int members(String header) {
    int members = 0;
    boolean content = false;
    for (int i = 0; i < header.length(); i++) {
      char c = header.charAt(i);
      if (c == ',') {
        if (content) {
          members++;
        }
        content = false;
      } else if (c != ' ' && c != '\t') {
        content = true;
      }
    }
    return content ? members + 1 : members;
  }

  /** The caller's getter without the fields that are dropped whole; counts what it hides. */
  private static final class HidingGetter<C> implements TextMapGetter<C> {
    private final TextMapGetter<C> delegate;
    final Bounds bounds;
    private final InboundTraceContext propagator;

    HidingGetter(TextMapGetter<C> delegate, Bounds bounds, InboundTraceContext propagator) {
      this.delegate = delegate;
      this.bounds = bounds;
      this.propagator = propagator;
    }

    private boolean hides(String key) {
      return (bounds.hidesBaggage() && key.equalsIgnoreCase(BAGGAGE))
          || (bounds.hidesTraceState() && key.equalsIgnoreCase(TRACESTATE));
    }

    private void hidden(String key, String value) {
      propagator.count(
          members(value), key.equalsIgnoreCase(BAGGAGE) ? BAGGAGE_DROPPED : TRACESTATE_DROPPED);
    }

    @Override
    public Iterable<String> keys(C carrier) {
      return delegate.keys(carrier);
    }

    @Override
    public @Nullable String get(@Nullable C carrier, String key) {
      String value = delegate.get(carrier, key);
      if (value != null && hides(key)) {
        hidden(key, value);
        return null;
      }
      return value;
    }

    @Override
    public Iterator<String> getAll(@Nullable C carrier, String key) {
      Iterator<String> values = delegate.getAll(carrier, key);
      if (!hides(key)) {
        return values;
      }
      while (values.hasNext()) {
        hidden(key, values.next());
      }
      return Collections.emptyIterator();
    }
  }

  /**
   * {@code delegate}, deciding for the parent of an untrusted caller (marked by {@link Extractor})
   * as for a new trace: the caller's sampled flag is not read, the caller's trace id is (hashed,
   * with the keyed sampler).
   */
  public static Sampler ignoringUntrustedFlags(Sampler delegate) {
    return new UntrustedParentSampler(delegate);
  }

  private static final class UntrustedParentSampler implements Sampler {
    private final Sampler delegate;

    UntrustedParentSampler(Sampler delegate) {
      this.delegate = delegate;
    }

    @Override
    public SamplingResult shouldSample(
        Context parentContext,
        String traceId,
        String name,
        SpanKind spanKind,
        Attributes attributes,
        List<LinkData> parentLinks) {
      if (parentContext.get(UNTRUSTED_PARENT) != null
          && Span.fromContext(parentContext).getSpanContext().isRemote()) {
        return delegate.shouldSample(
            Context.root(), traceId, name, spanKind, attributes, parentLinks);
      }
      return delegate.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
    }

    @Override
    public String getDescription() {
      return "IgnoreUntrustedSampledFlag{" + delegate.getDescription() + "}";
    }

    @Override
    public String toString() {
      return getDescription();
    }
  }
}
