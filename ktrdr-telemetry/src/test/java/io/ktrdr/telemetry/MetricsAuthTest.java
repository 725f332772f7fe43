package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class MetricsAuthTest {

  private static String basic(String credentials) {
    return "Basic "
        + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void noneLetsEveryoneIn() {
    assertThat(MetricsAuth.none().isEnabled()).isFalse();
    assertThat(MetricsAuth.none().isAuthorized(null)).isTrue();
    assertThat(MetricsAuth.none().isAuthorized("Bearer x")).isTrue();
  }

  @Test
  void basicAcceptsOnlyTheRightPairInTheBasicScheme() {
    MetricsAuth auth = MetricsAuth.basic("prometheus", "s3cret");
    assertThat(auth.isEnabled()).isTrue();
    assertThat(auth.isAuthorized(basic("prometheus:s3cret"))).isTrue();
    assertThat(auth.isAuthorized("  " + basic("prometheus:s3cret") + "  ")).isTrue();
    assertThat(auth.isAuthorized("basic " + basic("prometheus:s3cret").substring(6))).isTrue();
    assertThat(auth.isAuthorized(basic("prometheus:guess"))).isFalse();
    assertThat(auth.isAuthorized("Bearer " + basic("prometheus:s3cret").substring(6))).isFalse();
    assertThat(auth.isAuthorized(null)).isFalse();
    assertThat(auth.isAuthorized("Basic")).isFalse();
    assertThat(auth.isAuthorized(" Basic")).isFalse();
    assertThat(auth.challenge()).isEqualTo("Basic realm=\"metrics\", charset=\"UTF-8\"");
    assertThat(auth).hasToString("MetricsAuth{basic(user=prometheus)}");
  }

  @Test
  void bearerAcceptsOnlyTheToken() {
    MetricsAuth auth = MetricsAuth.bearer("tok-123");
    assertThat(auth.isAuthorized("Bearer tok-123")).isTrue();
    assertThat(auth.isAuthorized("BEARER tok-123")).isTrue();
    assertThat(auth.isAuthorized("Bearer tok-1234")).isFalse();
    assertThat(auth.isAuthorized("Basic tok-123")).isFalse();
    assertThat(auth.challenge()).isEqualTo("Bearer realm=\"metrics\"");
    assertThat(auth).hasToString("MetricsAuth{bearer}");
  }

  @Test
  void badArgumentsAreRejected() {
    assertThatThrownBy(() -> MetricsAuth.basic("a:b", "p"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MetricsAuth.basic("", "p"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MetricsAuth.bearer(" ")).isInstanceOf(IllegalArgumentException.class);
  }
}
