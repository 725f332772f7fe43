package io.ktrdr.telemetry.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.ktrdr.telemetry.testing.Scrape;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Edge services end to end: the real Javalin plugin on a real socket, the SDK exporting over
 * OTLP/HTTP to a receiver on loopback, requests crafted as a hostile caller would. Callers cannot
 * raise the share of traces exported (a forced {@code sampled} flag, trace ids chosen for {@code
 * traceidratio}), their baggage and {@code tracestate} beyond the allow-list and limits never leave
 * the process, and {@code new_root} starts our own trace, linked to the caller's.
 */
class EdgeTracingIT {
  private static final int REQUESTS = 2000;
  // Binomial(2000, 0.01): mean 20, standard deviation 4.4; 60 is nine deviations above.
  private static final int MAX_EXPORTED = 60;

  private static final String CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CALLER_SPAN = "00f067aa0ba902b7";

  /** Exports of {@code REQUESTS} requests under {@code env}, each with the caller's headers. */
  private static List<ReceivedSpan> serverSpans(
      Map<String, String> env, Function<Integer, String> traceparent) {
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      Map<String, String> all = new HashMap<>(env);
      all.put("OTEL_BSP_SCHEDULE_DELAY", "100");
      try (TestApp app =
          TestApp.start(
              builder -> builder.otlpEndpoint(receiver.endpoint()).environment(all), p -> {})) {
        for (int n = 0; n < REQUESTS; n++) {
          HttpResponse<String> response =
              Http.send(
                  Http.request(app.url("/api/v1/health"))
                      .header("traceparent", traceparent.apply(n))
                      .build());
          assertThat(response.statusCode()).isEqualTo(200);
        }
      }
      // close() flushed every span: what arrived is all that will.
      List<ReceivedSpan> spans = receiver.spans();
      System.out.println(
          "EdgeTracingIT: " + spans.size() + " of " + REQUESTS + " requests exported, " + env);
      return spans;
    }
  }

  private static String randomTraceparent(SplittableRandom random) {
    return String.format("00-%016x%016x-%016x-01", random.nextLong(), random.nextLong() | 1, 1L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ignore_sampled", "new_root"})
  void aForcedSampledFlagDoesNotRaiseTheShareExported(String policy) {
    SplittableRandom random = new SplittableRandom(19);
    if (policy.equals("ignore_sampled")) {
      // The baseline: a trusting service exports every request its caller flags sampled.
      assertThat(
              serverSpans(
                  Map.of(
                      "OTEL_TRACES_SAMPLER", "parentbased_traceidratio",
                      "OTEL_TRACES_SAMPLER_ARG", "0.01"),
                  n -> randomTraceparent(random)))
          .hasSize(REQUESTS);
    }
    Set<String> callerTraces = ConcurrentHashMap.newKeySet();
    List<ReceivedSpan> spans =
        serverSpans(
            Map.of(
                "OTEL_TRACES_SAMPLER", "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG", "0.01",
                "KTRDR_TRACES_INBOUND", policy),
            n -> {
              String traceparent = randomTraceparent(random);
              callerTraces.add(traceparent.substring(3, 35));
              return traceparent;
            });

    assertThat(spans).hasSizeBetween(1, MAX_EXPORTED);
    if (policy.equals("ignore_sampled")) {
      // The caller's trace goes on (its id, its span as parent); only the decision is ours.
      assertThat(spans).allSatisfy(s -> assertThat(callerTraces).contains(s.traceId()));
    } else {
      assertThat(spans).noneSatisfy(s -> assertThat(callerTraces).contains(s.traceId()));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"traceidratio", "parentbased_traceidratio"})
  void traceIdsChosenForTheRatioSamplerDoNotRaiseTheShareExported(String sampler) {
    // traceidratio samples when the low 64 bits are below ratio * 2^63: ...0001 always passes.
    Function<Integer, String> crafted =
        n -> String.format("00-%016x0000000000000001-%016x-00", n + 1L, n + 1L);
    if (sampler.equals("traceidratio")) {
      // The baseline: a trusting service samples every one of them.
      assertThat(
              serverSpans(
                  Map.of("OTEL_TRACES_SAMPLER", sampler, "OTEL_TRACES_SAMPLER_ARG", "0.01"),
                  crafted))
          .hasSize(REQUESTS);
    }
    List<ReceivedSpan> spans =
        serverSpans(
            Map.of(
                "OTEL_TRACES_SAMPLER", sampler,
                "OTEL_TRACES_SAMPLER_ARG", "0.01",
                "KTRDR_TRACES_INBOUND", "ignore_sampled"),
            crafted);

    assertThat(spans).hasSizeBetween(1, MAX_EXPORTED);
  }

  /** A downstream service on loopback that keeps the propagation headers it receives. */
  private static final class Downstream implements AutoCloseable {
    final HttpServer server;
    final List<Map<String, List<String>>> received = new ArrayList<>();

    Downstream() {
      try {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      server.createContext(
          "/",
          exchange -> {
            try (exchange) {
              Map<String, List<String>> headers = new HashMap<>();
              for (String name : List.of("traceparent", "tracestate", "baggage")) {
                List<String> values = exchange.getRequestHeaders().get(name);
                headers.put(name, values == null ? List.of() : values);
              }
              synchronized (received) {
                received.add(headers);
              }
              exchange.sendResponseHeaders(204, -1);
            }
          });
      server.start();
    }

    URI uri() {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/work");
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private record Outcome(
      Map<String, List<String>> downstream, List<ReceivedSpan> spans, Scrape scrape) {
    ReceivedSpan server() {
      return spans.stream()
          .filter(s -> s.span().getKind() == Span.SpanKind.SPAN_KIND_SERVER)
          .findFirst()
          .orElseThrow();
    }
  }

  /** One request with the caller's headers to a route that calls downstream, under {@code env}. */
  private static Outcome callThrough(
      Map<String, String> env,
      Map<String, String> headers,
      java.util.function.Consumer<KtrdrJavalinPlugin.Config> plugin) {
    try (OtlpReceiver receiver = OtlpReceiver.start();
        Downstream downstream = new Downstream()) {
      Map<String, String> all = new HashMap<>(env);
      all.put("OTEL_BSP_SCHEDULE_DELAY", "100");
      Scrape scrape;
      try (TestApp app =
          TestApp.start(
              builder -> builder.otlpEndpoint(receiver.endpoint()).environment(all),
              plugin,
              (config, telemetry) -> {
                HttpClient client = telemetry.tracing().httpClient(HttpClient.newHttpClient());
                config.routes.get(
                    "/call",
                    ctx -> {
                      client.send(
                          HttpRequest.newBuilder(downstream.uri()).build(),
                          HttpResponse.BodyHandlers.discarding());
                      ctx.result("called");
                    });
              })) {
        HttpRequest.Builder request = Http.request(app.url("/call"));
        headers.forEach(request::header);
        HttpResponse<String> response = Http.send(request.build());
        assertThat(response.statusCode()).isEqualTo(200);
        scrape = Scrape.parse(Http.get(app.url("/metrics")).body());
      }
      assertThat(downstream.received).hasSize(1);
      return new Outcome(downstream.received.get(0), receiver.spans(), scrape);
    }
  }

  /** 64 baggage entries (2 of them allowed at the edge) and a full 32-entry tracestate. */
  private static Map<String, String> hostileHeaders() {
    List<String> baggage = new ArrayList<>();
    baggage.add("tenant=acme");
    baggage.add("region=eu");
    for (int i = 0; i < 62; i++) {
      baggage.add("junk" + i + "=" + "x".repeat(30));
    }
    List<String> traceState = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      traceState.add("v" + i + "=" + "y".repeat(10));
    }
    return Map.of(
        "traceparent", "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01",
        "baggage", String.join(",", baggage),
        "tracestate", String.join(",", traceState));
  }

  private static final String DROPPED = "ktrdr_telemetry_propagation_dropped_total";

  @Test
  void atTheEdgeOnlyAllowedBaggageLeavesAndTracestateIsNeitherForwardedNorExported() {
    // The baseline, and the default: a trusting service forwards what its caller sent.
    Outcome trusting = callThrough(Map.of(), hostileHeaders(), plugin -> {});
    assertThat(trusting.downstream().get("baggage").get(0).split(",")).hasSize(64);
    assertThat(trusting.downstream().get("tracestate").get(0).split(",")).hasSize(32);
    assertThat(trusting.server().span().getTraceState()).isNotEmpty();

    Outcome outcome =
        callThrough(
            Map.of(
                "KTRDR_TRACES_INBOUND", "ignore_sampled",
                "KTRDR_TRACES_INBOUND_BAGGAGE_KEYS", "tenant,region"),
            hostileHeaders(),
            plugin -> {});

    assertThat(outcome.downstream().get("baggage")).hasSize(1);
    assertThat(outcome.downstream().get("baggage").get(0).split(","))
        .containsExactlyInAnyOrder("tenant=acme", "region=eu");
    assertThat(outcome.downstream().get("tracestate")).isEmpty();
    assertThat(outcome.downstream().get("traceparent").get(0)).contains(CALLER_TRACE);
    assertThat(outcome.spans()).isNotEmpty();
    assertThat(outcome.spans()).allSatisfy(s -> assertThat(s.span().getTraceState()).isEmpty());
    assertThat(outcome.server().traceId()).isEqualTo(CALLER_TRACE);
    assertThat(outcome.server().parentSpanId()).isEqualTo(CALLER_SPAN);
    assertThat(outcome.scrape().value(DROPPED, Map.of("field", "baggage"))).isEqualTo(62);
    assertThat(outcome.scrape().value(DROPPED, Map.of("field", "tracestate"))).isEqualTo(32);
  }

  @Test
  void theLimitsBoundAllowedBaggageAndKeptTracestate() {
    Outcome outcome =
        callThrough(
            Map.of(
                "KTRDR_TRACES_INBOUND", "ignore_sampled",
                "KTRDR_TRACES_INBOUND_BAGGAGE_KEYS", "*",
                "KTRDR_TRACES_INBOUND_BAGGAGE_MAX_ENTRIES", "3",
                "KTRDR_TRACES_INBOUND_TRACESTATE_MAX_ENTRIES", "4",
                "KTRDR_TRACES_INBOUND_TRACESTATE_MAX_CHARS", "41"),
            hostileHeaders(),
            plugin -> {});

    assertThat(outcome.downstream().get("baggage").get(0).split(",")).hasSize(3);
    // Three entries of 13 characters and two commas fill 41: the first three, in order.
    assertThat(outcome.downstream().get("tracestate"))
        .containsExactly("v0=yyyyyyyyyy,v1=yyyyyyyyyy,v2=yyyyyyyyyy");
    assertThat(outcome.server().span().getTraceState())
        .isEqualTo("v0=yyyyyyyyyy,v1=yyyyyyyyyy,v2=yyyyyyyyyy");
    assertThat(outcome.scrape().value(DROPPED, Map.of("field", "baggage"))).isEqualTo(61);
    assertThat(outcome.scrape().value(DROPPED, Map.of("field", "tracestate"))).isEqualTo(29);
  }

  @Test
  void newRootStartsOurOwnTraceLinkedToTheCallers() {
    Outcome outcome =
        callThrough(Map.of("KTRDR_TRACES_INBOUND", "new_root"), hostileHeaders(), plugin -> {});

    ReceivedSpan server = outcome.server();
    assertThat(server.traceId()).isNotEqualTo(CALLER_TRACE);
    assertThat(server.parentSpanId()).isEmpty();
    assertThat(server.span().getLinksList()).hasSize(1);
    Span.Link link = server.span().getLinksList().get(0);
    assertThat(HexFormat.of().formatHex(link.getTraceId().toByteArray())).isEqualTo(CALLER_TRACE);
    assertThat(HexFormat.of().formatHex(link.getSpanId().toByteArray())).isEqualTo(CALLER_SPAN);
    assertThat(link.getTraceState()).isEmpty();
    // Downstream sees our trace, and none of the caller's baggage or tracestate.
    assertThat(outcome.downstream().get("traceparent").get(0))
        .contains(server.traceId())
        .doesNotContain(CALLER_TRACE);
    assertThat(outcome.downstream().get("baggage")).isEmpty();
    assertThat(outcome.downstream().get("tracestate")).isEmpty();
  }

  @Test
  void aTrustedCallerContinuesItsTraceAtTheEdge() {
    Map<String, String> headers = new HashMap<>(hostileHeaders());
    headers.put("X-Peer", "internal");
    Outcome outcome =
        callThrough(
            Map.of("KTRDR_TRACES_INBOUND", "new_root"),
            headers,
            plugin -> plugin.trustedCallers = r -> "internal".equals(r.getHeader("X-Peer")));

    assertThat(outcome.server().traceId()).isEqualTo(CALLER_TRACE);
    assertThat(outcome.server().span().getLinksList()).isEmpty();
    assertThat(outcome.downstream().get("baggage").get(0).split(",")).hasSize(64);
  }

  @Test
  void aPropagatorThatThrowsNeverFailsTheRequest() {
    Outcome outcome =
        callThrough(
            Map.of("OTEL_PROPAGATORS", "tracecontext,baggage,throwing"),
            hostileHeaders(),
            plugin -> {});

    // The request is served, in a trace of its own; the failure is counted.
    assertThat(outcome.server().traceId()).isNotEqualTo(CALLER_TRACE);
    assertThat(
            outcome
                .scrape()
                .value("ktrdr_telemetry_errors_total", Map.of("component", "http-server-metrics")))
        .isEqualTo(1);
    assertThat(outcome.spans().stream().map(ReceivedSpan::traceId).collect(Collectors.toSet()))
        .hasSize(1);
  }
}
