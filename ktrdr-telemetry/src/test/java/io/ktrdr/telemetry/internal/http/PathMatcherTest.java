package io.ktrdr.telemetry.internal.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PathMatcherTest {

  @Test
  void exactPathsAndPrefixes() {
    PathMatcher matcher = new PathMatcher(List.of("/metrics", "/static/*"));
    assertThat(matcher.matches("/metrics")).isTrue();
    assertThat(matcher.matches("/metrics/x")).isFalse();
    assertThat(matcher.matches("/metricsx")).isFalse();
    assertThat(matcher.matches("/static/")).isTrue();
    assertThat(matcher.matches("/static/app.js")).isTrue();
    assertThat(matcher.matches("/stati")).isFalse();
    assertThat(matcher.matches(null)).isFalse();
    assertThat(new PathMatcher(List.of()).matches("/metrics")).isFalse();
  }

  @Test
  void oneTrailingSlashIsIgnoredAndAContextPathCanBeSkipped() {
    PathMatcher matcher = new PathMatcher(List.of("/metrics", "/", "/static/*"));
    assertThat(matcher.matches("/metrics/")).isTrue();
    assertThat(matcher.matches("/metrics//")).isFalse();
    assertThat(matcher.matches("/")).isTrue();
    assertThat(matcher.matches("/svc/metrics", "/svc".length())).isTrue();
    assertThat(matcher.matches("/svc/metrics/", "/svc".length())).isTrue();
    assertThat(matcher.matches("/svc/static/a.css", "/svc".length())).isTrue();
    assertThat(matcher.matches("/svc/metricsx", "/svc".length())).isFalse();
    assertThat(matcher.matches("/svc", "/svc".length())).isFalse();
    assertThat(matcher.matches("/svc/metrics")).isFalse();
    assertThat(matcher.matches("/metrics", -1)).isFalse();
  }

  @Test
  void aPatternMustStartWithASlash() {
    assertThatThrownBy(() -> new PathMatcher(List.of("metrics")))
        .hasMessage("excluded path 'metrics' must start with '/' (a trailing '*' makes a prefix)");
  }
}
