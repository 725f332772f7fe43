package io.ktrdr.examples.javalinvt;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.examples.support.ExampleProcess;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * Concurrent requests, each with its own incoming trace, into a Javalin app on virtual threads with
 * its own handler wrapper: the handlers run on virtual threads, the app's wrapper still runs, every
 * request is labelled with its route, and each request's spans form the right tree.
 */
class JavalinVirtualThreadsExampleTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final int REQUESTS = 12;
  private static final String ROUTE = "/api/items/{id}";

  private record Sent(int item, String traceId, String parentSpanId) {}

  @Test
  void routesLabelledAndSpansParentedOnVirtualThreadsWithTheAppsOwnWrapper() {
    try (OtlpReceiver receiver = OtlpReceiver.start();
        ExampleProcess app =
            ExampleProcess.start(
                Main.class.getName(),
                Map.of(
                    "PORT", "0",
                    "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(),
                    "OTEL_BSP_SCHEDULE_DELAY", "100"))) {
      String base =
          app.awaitLine(Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)"), TIMEOUT)
              .group(1);

      HttpClient client = HttpClient.newHttpClient();
      List<Sent> sent = new ArrayList<>();
      List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
      for (int item = 0; item < REQUESTS; item++) {
        Sent request = new Sent(item, randomHex(16), randomHex(8));
        sent.add(request);
        responses.add(
            client.sendAsync(
                HttpRequest.newBuilder(URI.create(base + "/api/items/" + item))
                    .header(
                        "traceparent",
                        "00-" + request.traceId() + "-" + request.parentSpanId() + "-01")
                    .timeout(TIMEOUT)
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      // Every promise is checked, so one run reports all that breaks, not only the first.
      SoftAssertions softly = new SoftAssertions();
      for (Sent request : sent) {
        HttpResponse<String> response = responses.get(request.item()).join();
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("item " + request.item());
        softly
            .assertThat(response.headers().firstValue("X-Virtual-Thread"))
            .as("the handler ran on a virtual thread")
            .hasValue("true");
        softly
            .assertThat(response.headers().firstValue("X-Wrapped-By"))
            .as("the application's own handler wrapper ran")
            .hasValue("example-wrapper");
      }

      String scrape = Http.get(base + "/metrics").body();
      softly
          .assertThat(scrape)
          .as("requests labelled with their route template")
          .containsPattern(
              "(?m)^http_server_request_duration_seconds_count\\{[^}]*http_route=\""
                  + Pattern.quote(ROUTE)
                  + "\"[^}]*\\} "
                  + REQUESTS
                  + "(\\.0)?$");

      List<ReceivedSpan> spans =
          receiver.awaitSpans(
              span -> span.name().equals("GET " + ROUTE) || span.name().equals("load_item"),
              2 * REQUESTS,
              TIMEOUT);
      for (Sent request : sent) {
        ReceivedSpan server = only(spans, "GET " + ROUTE, request.traceId());
        softly.assertThat(server.kind()).isEqualTo("SERVER");
        softly
            .assertThat(server.parentSpanId())
            .as("the server span continues the incoming traceparent")
            .isEqualTo(request.parentSpanId());
        softly.assertThat(server.attributes()).containsEntry("http.route", ROUTE);
        ReceivedSpan child = only(spans, "load_item", request.traceId());
        softly
            .assertThat(child.parentSpanId())
            .as("load_item is a child of its own request's server span")
            .isEqualTo(server.spanId());
        softly
            .assertThat(child.attributes())
            .containsEntry("item.id", Integer.toString(request.item()));
      }
      softly.assertAll();
    }
  }

  private static ReceivedSpan only(List<ReceivedSpan> spans, String name, String traceId) {
    List<ReceivedSpan> matching =
        spans.stream()
            .filter(span -> span.name().equals(name) && span.traceId().equals(traceId))
            .toList();
    assertThat(matching).as("spans named %s in trace %s", name, traceId).hasSize(1);
    return matching.get(0);
  }

  private static String randomHex(int bytes) {
    byte[] value = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(value);
    value[0] |= 1; // never the all-zero (invalid) id
    return HexFormat.of().formatHex(value);
  }
}
