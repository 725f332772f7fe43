package io.ktrdr.telemetry.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every combination gets the right attributes, cached or not. */
class ServerAttributesTest {
  private static final List<String> STANDARD =
      List.of("CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE");

  private static Map<String, Object> map(Attributes attributes) {
    Map<String, Object> map = new java.util.HashMap<>();
    attributes.forEach((key, value) -> map.put(key.getKey(), value));
    return map;
  }

  @Test
  void eachStandardMethodHasItsOwnIndexAndName() {
    for (String method : STANDARD) {
      int index = HttpServerMetrics.methodIndex(method);
      assertThat(HttpServerMetrics.methodName(index)).isEqualTo(method);
    }
    assertThat(HttpServerMetrics.methodName(HttpServerMetrics.methodIndex("BREW")))
        .isEqualTo("_OTHER");
  }

  @Test
  void everyMethodSchemeAndStatusIsLabelledAsItIs() {
    ServerAttributes cache = new ServerAttributes(10);
    for (String method : STANDARD) {
      int index = ServerAttributes.methodIndex(method);
      for (boolean https : new boolean[] {false, true}) {
        String scheme = https ? "https" : "http";
        assertThat(map(cache.active(index, https)))
            .containsExactlyInAnyOrderEntriesOf(
                Map.of("http.request.method", method, "url.scheme", scheme));
        for (int status : new int[] {100, 200, 201, 404, 499, 500, 599}) {
          Map<String, Object> expected =
              new java.util.HashMap<>(
                  Map.of(
                      "http.request.method",
                      method,
                      "url.scheme",
                      scheme,
                      "http.response.status_code",
                      (long) status,
                      "http.route",
                      "/r"));
          if (status >= 500) {
            expected.put("error.type", Integer.toString(status));
          }
          Attributes first = cache.duration(index, https, "/r", status, null);
          assertThat(map(first)).containsExactlyInAnyOrderEntriesOf(expected);
          assertThat(cache.duration(index, https, "/r", status, null)).isSameAs(first);
        }
      }
    }
  }

  @Test
  void statusesOutsideTheCachedRangeAndErrorsAreBuiltEachTime() {
    ServerAttributes cache = new ServerAttributes(10);
    int get = ServerAttributes.methodIndex("GET");
    for (int status : new int[] {99, 600, 999}) {
      Attributes attributes = cache.duration(get, false, "/r", status, null);
      assertThat(attributes.get(AttributeKey.longKey("http.response.status_code")))
          .isEqualTo(status);
      assertThat(cache.duration(get, false, "/r", status, null))
          .isEqualTo(attributes)
          .isNotSameAs(attributes);
    }
    Attributes failed = cache.duration(get, false, null, 500, new IllegalStateException());
    assertThat(failed.get(AttributeKey.stringKey("error.type")))
        .isEqualTo("java.lang.IllegalStateException");
    assertThat(failed.get(AttributeKey.stringKey("http.route"))).isNull();
    // An exception with a client error status is the client's: no error.type.
    assertThat(
            cache
                .duration(get, false, null, 400, new IllegalStateException())
                .get(AttributeKey.stringKey("error.type")))
        .isNull();
  }
}
