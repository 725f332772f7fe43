package io.ktrdr.telemetry.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.testing.Http;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sampler sees the HTTP start attributes of the semantic conventions, so a rule-based sampler
 * can decide on the path: checked on a real server with a sampler that records its calls.
 */
class SamplingAttributesTest {

  private static Map<String, Object> asMap(RecordingSampler.Call call) {
    Map<String, Object> map = new HashMap<>();
    call.attributes().forEach((key, value) -> map.put(key.getKey(), value));
    return map;
  }

  @Test
  void theSamplerSeesMethodPathSchemeAndServerAtSpanCreation() {
    try (TestApp app =
        TestApp.start(
            builder -> builder.environment(Map.of("OTEL_TRACES_SAMPLER", "test_recording")),
            plugin -> {})) {
      RecordingSampler sampler = RecordingSampler.last();
      assertThat(sampler).isNotNull();

      assertThat(Http.get(app.url("/api/v1/data/AAPL/1d?start=2024-01-01")).statusCode())
          .isEqualTo(200);
      assertThat(
              Http.send(
                      HttpRequest.newBuilder(URI.create(app.url("/api/v1/items")))
                          .POST(HttpRequest.BodyPublishers.ofString("{}"))
                          .build())
                  .statusCode())
          .isEqualTo(201);

      List<RecordingSampler.Call> server =
          sampler.calls.stream().filter(call -> call.kind() == SpanKind.SERVER).toList();
      assertThat(server).hasSize(2);
      assertThat(server.get(0).name()).isEqualTo("GET");
      assertThat(asMap(server.get(0)))
          .containsExactlyInAnyOrderEntriesOf(
              Map.of(
                  "http.request.method", "GET",
                  "url.path", "/api/v1/data/AAPL/1d",
                  "url.scheme", "http",
                  "server.address", "127.0.0.1",
                  "server.port", (long) app.app.port()));
      assertThat(server.get(1).name()).isEqualTo("POST");
      assertThat(server.get(1).attributes().get(AttributeKey.stringKey("url.path")))
          .isEqualTo("/api/v1/items");
      assertThat(server.get(1).attributes().get(AttributeKey.stringKey("http.request.method")))
          .isEqualTo("POST");
    }
  }

  @Test
  void aNonStandardMethodReachesTheSamplerAsOther() {
    try (TestApp app =
        TestApp.start(
            builder -> builder.environment(Map.of("OTEL_TRACES_SAMPLER", "test_recording")),
            plugin -> {})) {
      RecordingSampler sampler = RecordingSampler.last();

      Http.send(
          HttpRequest.newBuilder(URI.create(app.url("/api/v1/health")))
              .method("PURGE", HttpRequest.BodyPublishers.noBody())
              .build());

      assertThat(sampler.calls).hasSize(1);
      assertThat(sampler.calls.get(0).name()).isEqualTo("HTTP");
      assertThat(
              sampler.calls.get(0).attributes().get(AttributeKey.stringKey("http.request.method")))
          .isEqualTo("_OTHER");
    }
  }
}
