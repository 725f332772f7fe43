package io.ktrdr.telemetry.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.javalin.TestApp;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.Scrape;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ExemplarTest {
  private static final Pattern TRACE_ID = Pattern.compile("trace_id=\"([0-9a-f]{32})\"");

  private static String scrapeOpenMetrics(TestApp app) {
    return Http.send(
            Http.request(app.url("/metrics"))
                .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8")
                .build())
        .body();
  }

  private static List<String> exemplarTraceIds(Scrape scrape, String name, String route) {
    return scrape.samples(name, s -> route.equals(s.label("http_route"))).stream()
        .map(Scrape.Sample::exemplar)
        .filter(e -> e != null)
        .map(
            e -> {
              Matcher m = TRACE_ID.matcher(e);
              assertThat(m.find()).as("exemplar %s has a trace_id", e).isTrue();
              return m.group(1);
            })
        .toList();
  }

  @Test
  void theDurationHistogramCarriesTheRequestsTraceAsExemplar() {
    try (OtlpReceiver receiver = OtlpReceiver.start();
        TestApp app =
            TestApp.start(
                builder ->
                    builder
                        .serviceName("exemplars")
                        .otlpEndpoint(receiver.endpoint())
                        .environment(Map.of("OTEL_BSP_SCHEDULE_DELAY", "50")),
                plugin -> plugin.excludedPaths = List.of("/metrics"))) {
      Http.get(app.url("/api/v1/data/AAPL/1d"));
      String exported = receiver.awaitSpan("GET /api/v1/data/{symbol}/{timeframe}").traceId();

      Scrape scrape = Scrape.parse(scrapeOpenMetrics(app));

      assertThat(
              exemplarTraceIds(
                  scrape,
                  "http_server_request_duration_seconds_bucket",
                  "/api/v1/data/{symbol}/{timeframe}"))
          .containsExactly(exported);
    }
  }

  @Test
  void theOperationHistogramCarriesTheOperationsTrace() throws Exception {
    try (TestApp app = TestApp.start(builder -> builder.serviceName("ops"), plugin -> {})) {
      String traceId = app.telemetry.operations().run("backtest", "op-e", op -> op.traceId());

      Scrape scrape = Scrape.parse(scrapeOpenMetrics(app));

      assertThat(
              scrape.samples(
                  "ktrdr_operation_duration_seconds_bucket",
                  s -> s.exemplar() != null && s.exemplar().contains(traceId)))
          .hasSize(1);
    }
  }

  @Test
  void tracedClientCallsToLongUrlsKeepSmallExemplarsAndLogNoWarning() throws Exception {
    java.util.logging.Logger converter =
        java.util.logging.Logger.getLogger(
            "io.opentelemetry.exporter.prometheus.Otel2PrometheusConverter");
    List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler capture =
        new java.util.logging.Handler() {
          @Override
          public void publish(java.util.logging.LogRecord record) {
            if (record.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
              warnings.add(record.getMessage());
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    converter.addHandler(capture);
    try (TestApp app = TestApp.start(builder -> builder.serviceName("client"), plugin -> {})) {
      java.net.http.HttpClient client =
          app.telemetry.tracing().httpClient(java.net.http.HttpClient.newHttpClient());
      String longPath = "/api/v1/data/" + "S".repeat(150) + "/1d?start=2024-01-01&end=2024-12-31";
      app.telemetry
          .tracing()
          .inSpan(
              "caller",
              io.opentelemetry.api.common.Attributes.empty(),
              () ->
                  client.send(
                      java.net.http.HttpRequest.newBuilder(java.net.URI.create(app.url(longPath)))
                          .build(),
                      java.net.http.HttpResponse.BodyHandlers.discarding()));

      Scrape scrape = Scrape.parse(scrapeOpenMetrics(app));

      assertThat(
              scrape.samples(
                  "http_client_request_duration_seconds_bucket", s -> s.exemplar() != null))
          .isNotEmpty()
          .allSatisfy(s -> assertThat(s.exemplar()).doesNotContain("url").doesNotContain("SSS"));
      assertThat(warnings).isEmpty();
    } finally {
      converter.removeHandler(capture);
    }
  }

  @Test
  void noExemplarsWhenTracingIsOff() {
    try (TestApp app = TestApp.start(builder -> builder.tracing(false), plugin -> {})) {
      Http.get(app.url("/api/v1/health"));

      assertThat(scrapeOpenMetrics(app)).doesNotContain("trace_id");
    }
  }
}
