package io.ktrdr.telemetry.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.ktrdr.telemetry.testing.Scrape;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.trace.v1.Status;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The keep rules end to end: the real Javalin plugin at sampling ratio 0 with {@code
 * KTRDR_TRACES_KEEP_ERRORS} and {@code KTRDR_TRACES_KEEP_SLOWER_THAN}, exporting over OTLP/HTTP to
 * a receiver on loopback. Of 200 requests, exactly the 5 failed and the 3 slow ones arrive, each
 * with its child span.
 */
class KeepTracesIT {
  // The slow handler waits longer than the threshold, so its server span (which contains the
  // handler) always crosses it. An ordinary request crosses it only if the machine stalls it that
  // long: such a request, measured by the client (whose time contains the server span's), may be
  // kept or not, and is left out of the exact assertions instead of making them depend on load.
  private static final Duration THRESHOLD = Duration.ofSeconds(1);
  private static final Duration SLOW = Duration.ofMillis(1100);

  /** A handler that waits on a slow dependency for at least {@code duration}. */
  private static void slowDependency(Duration duration) {
    long deadline = System.nanoTime() + duration.toNanos();
    for (long left = duration.toNanos(); left > 0; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
  }

  @Test
  void exactlyTheFailedAndSlowTracesArriveWhole() {
    Set<String> expectedPaths = new HashSet<>();
    Set<String> stalledPaths = new HashSet<>();
    Map<String, String> callerTraceIds = new HashMap<>();
    Scrape scrape;
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      try (TestApp app =
          TestApp.start(
              builder ->
                  builder
                      .otlpEndpoint(receiver.endpoint())
                      .environment(
                          Map.of(
                              "OTEL_TRACES_SAMPLER", "parentbased_traceidratio",
                              "OTEL_TRACES_SAMPLER_ARG", "0",
                              "KTRDR_TRACES_KEEP_ERRORS", "true",
                              "KTRDR_TRACES_KEEP_SLOWER_THAN", THRESHOLD.toMillis() + "ms",
                              "OTEL_BSP_SCHEDULE_DELAY", "100")),
              plugin -> {},
              (config, telemetry) ->
                  config.routes.get(
                      "/work/{kind}/{n}",
                      ctx -> {
                        String kind = ctx.pathParam("kind");
                        telemetry
                            .tracing()
                            .inSpan(
                                "work",
                                Attributes.empty(),
                                () -> {
                                  if (kind.equals("slow")) {
                                    slowDependency(SLOW);
                                  }
                                });
                        if (kind.equals("fail")) {
                          throw new IllegalStateException("request " + ctx.pathParam("n"));
                        }
                        ctx.result("done");
                      }))) {
        for (int n = 0; n < 200; n++) {
          String kind = n % 40 == 7 ? "fail" : n % 67 == 23 ? "slow" : "ok";
          String path = "/work/" + kind + "/" + n;
          var request = Http.request(app.url(path));
          if (kind.equals("fail") && n % 80 == 7) {
            // A caller that did not sample: its trace id and span are the kept trace's parent.
            String traceId = String.format("%032x", 0xabc000L + n);
            request.header("traceparent", "00-" + traceId + "-00000000000000a1-00");
            callerTraceIds.put(path, traceId);
          }
          long sent = System.nanoTime();
          HttpResponse<String> response = Http.send(request.build());
          boolean stalled = System.nanoTime() - sent > THRESHOLD.toNanos();
          assertThat(response.statusCode()).isEqualTo(kind.equals("fail") ? 500 : 200);
          if (!kind.equals("ok")) {
            expectedPaths.add(path);
          } else if (stalled) {
            stalledPaths.add(path);
          }
        }
        scrape =
            Scrape.parse(
                Http.send(
                        Http.request(app.url("/metrics"))
                            .header(
                                "Accept",
                                "application/openmetrics-text; version=1.0.0; charset=utf-8")
                            .build())
                    .body());
      }
      // close() flushed every span: what arrived is all that will.
      Map<String, List<ReceivedSpan>> traces =
          receiver.spans().stream().collect(Collectors.groupingBy(ReceivedSpan::traceId));
      Map<String, ReceivedSpan> serverByPath = new HashMap<>();
      assertThat(traces).isNotEmpty();
      for (List<ReceivedSpan> trace : traces.values()) {
        assertThat(trace).as("one server span and its child").hasSize(2);
        ReceivedSpan server =
            trace.stream().filter(s -> s.attribute("url.path") != null).findFirst().orElseThrow();
        ReceivedSpan work =
            trace.stream().filter(s -> s.name().equals("work")).findFirst().orElseThrow();
        assertThat(work.parentSpanId()).isEqualTo(server.spanId());
        assertThat(trace).allSatisfy(s -> assertThat(s.span().getFlags() & 0x1).isEqualTo(1));
        serverByPath.put(server.attribute("url.path"), server);
      }
      Set<String> arrived = new HashSet<>(serverByPath.keySet());
      arrived.removeAll(stalledPaths);
      assertThat(arrived).containsExactlyInAnyOrderElementsOf(expectedPaths);
      assertThat(callerTraceIds).hasSize(3);
      callerTraceIds.forEach(
          (path, traceId) -> {
            assertThat(serverByPath.get(path).traceId()).isEqualTo(traceId);
            assertThat(serverByPath.get(path).parentSpanId()).isEqualTo("00000000000000a1");
          });
      serverByPath.forEach(
          (path, server) ->
              assertThat(server.span().getStatus().getCode())
                  .isEqualTo(
                      path.contains("/fail/")
                          ? Status.StatusCode.STATUS_CODE_ERROR
                          : Status.StatusCode.STATUS_CODE_UNSET));
    }
    // Exemplars need a sampled span when the request is measured: none point at kept traces.
    assertThat(scrape.samples("http_server_request_duration_seconds_bucket"))
        .isNotEmpty()
        .allSatisfy(sample -> assertThat(sample.exemplar()).isNull());
    assertThat(scrape.value("ktrdr_telemetry_traces_kept_total", Map.of("reason", "error")))
        .isEqualTo(5);
    assertThat(scrape.value("ktrdr_telemetry_traces_kept_total", Map.of("reason", "slow")))
        .isBetween(3.0, 3.0 + stalledPaths.size());
    assertThat(
            scrape.value(
                "ktrdr_telemetry_dropped_total",
                Map.of("signal", "spans", "reason", "keep_buffer_full")))
        .isZero();
  }
}
