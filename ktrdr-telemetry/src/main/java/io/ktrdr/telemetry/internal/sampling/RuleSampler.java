package io.ktrdr.telemetry.internal.sampling;

import static io.opentelemetry.semconv.UrlAttributes.URL_PATH;

import io.ktrdr.telemetry.internal.http.PathMatcher;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSamplerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.util.List;

/**
 * Drops the server spans of some paths (health checks, readiness probes) and leaves every other
 * decision to a parent-based ratio sampler. A server span is dropped when its {@code url.path}, as
 * the Javalin plugin passes it at span creation, equals one of the paths or starts with one that
 * ends in {@code *}; whatever its parent decided, since a probe is never worth a trace.
 *
 * <p>Selected with {@code OTEL_TRACES_SAMPLER=ktrdr_rules}; the paths come from {@code
 * KTRDR_TRACES_SAMPLER_DROP_PATHS} (comma-separated, validated by the environment layer) and the
 * ratio of the other root spans from {@code OTEL_TRACES_SAMPLER_ARG} (default 1). The ratio part is
 * {@link KeyedRatioSampler}'s, so a caller cannot choose the decision by choosing its trace id;
 * behind {@code parentBased} it decides only the roots, so nothing else changes.
 *
 * <p>Internal: not part of the public API.
 */
public final class RuleSampler implements Sampler {
  public static final String NAME = "ktrdr_rules";

  /** The OpenTelemetry property that carries {@code KTRDR_TRACES_SAMPLER_DROP_PATHS}. */
  public static final String DROP_PATHS_PROPERTY = "ktrdr.traces.sampler.drop.paths";

  private static final SamplingResult DROP = SamplingResult.drop();

  private final List<String> paths;
  private final PathMatcher dropped;
  private final Sampler delegate;

  RuleSampler(List<String> paths, Sampler delegate) {
    for (String path : paths) {
      if (!isPath(path)) {
        throw new IllegalArgumentException("not a path or a path prefix ending in *: " + path);
      }
    }
    this.paths = List.copyOf(paths);
    this.dropped = new PathMatcher(paths);
    this.delegate = delegate;
  }

  /**
   * Whether {@code path} is a valid entry: it starts with {@code /} and has no {@code *} except as
   * its last character, and no white space.
   */
  public static boolean isPath(String path) {
    if (!path.startsWith("/")) {
      return false;
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (Character.isWhitespace(c) || (c == '*' && i != path.length() - 1)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public SamplingResult shouldSample(
      Context parentContext,
      String traceId,
      String name,
      SpanKind spanKind,
      Attributes attributes,
      List<LinkData> parentLinks) {
    if (spanKind == SpanKind.SERVER && dropped.matches(attributes.get(URL_PATH))) {
      return DROP;
    }
    return delegate.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
  }

  @Override
  public String getDescription() {
    return "RuleSampler{drop:"
        + String.join(",", paths)
        + ",else:"
        + delegate.getDescription()
        + "}";
  }

  @Override
  public String toString() {
    return getDescription();
  }

  /** {@code OTEL_TRACES_SAMPLER=ktrdr_rules}. */
  public static final class Provider implements ConfigurableSamplerProvider {
    @Override
    public Sampler createSampler(ConfigProperties config) {
      List<String> paths = config.getList(DROP_PATHS_PROPERTY);
      if (paths.isEmpty()) {
        throw new ConfigurationException(
            "OTEL_TRACES_SAMPLER=" + NAME + " needs KTRDR_TRACES_SAMPLER_DROP_PATHS");
      }
      return new RuleSampler(
          paths, Sampler.parentBased(KeyedRatioSampler.create(KeyedRatioSampler.ratio(config))));
    }

    @Override
    public String getName() {
      return NAME;
    }
  }
}
