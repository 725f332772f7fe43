package io.ktrdr.telemetry.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.telemetry.javalin.TestApp;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TracingTest {
  private static final String DATA_ROUTE = "/api/v1/data/{symbol}/{timeframe}";

  private OtlpReceiver receiver;

  @BeforeEach
  void startReceiver() {
    receiver = OtlpReceiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.close();
  }

  private TestApp app(String serviceName) {
    return TestApp.start(
        builder ->
            builder
                .serviceName(serviceName)
                .serviceVersion("2.0.0")
                .otlpEndpoint(receiver.endpoint())
                .environment(Map.of("OTEL_BSP_SCHEDULE_DELAY", "50")),
        plugin -> plugin.excludedPaths = java.util.List.of("/metrics"));
  }

  @Test
  void serverSpansArriveNamedByRouteWithConventionalAttributesAndResource() {
    try (TestApp app = app("ktrdr-api")) {
      assertThat(Http.get(app.url("/api/v1/data/AAPL/1d?start=2024-01-01")).statusCode())
          .isEqualTo(200);

      ReceivedSpan span = receiver.awaitSpan("GET " + DATA_ROUTE);

      assertThat(span.span().getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
      assertThat(span.attributes())
          .containsEntry("http.request.method", "GET")
          .containsEntry("http.route", DATA_ROUTE)
          .containsEntry("http.response.status_code", "200")
          .containsEntry("url.path", "/api/v1/data/AAPL/1d")
          .containsEntry("url.query", "start=2024-01-01")
          .containsEntry("url.scheme", "http")
          .containsEntry("network.protocol.version", "1.1")
          .containsEntry("server.address", "127.0.0.1")
          .containsKeys(
              "server.port",
              "network.peer.address",
              "network.peer.port",
              "user_agent.original",
              "client.address");
      assertThat(span.parentSpanId()).isEmpty();
      assertThat(span.resource())
          .containsEntry("service.name", "ktrdr-api")
          .containsEntry("service.version", "2.0.0")
          .containsEntry("deployment.environment.name", "development")
          .doesNotContainKey("process.command_line");
    }
  }

  @Test
  void aCallFromOneServiceToAnotherIsOneTrace() throws Exception {
    try (TestApp worker = app("ktrdr-worker");
        TestApp api =
            TestApp.start(
                builder ->
                    builder
                        .serviceName("ktrdr-api")
                        .otlpEndpoint(receiver.endpoint())
                        .environment(Map.of("OTEL_BSP_SCHEDULE_DELAY", "50")),
                plugin -> {},
                (config, telemetry) -> {
                  HttpClient client = telemetry.tracing().httpClient(HttpClient.newHttpClient());
                  config.routes.get(
                      "/dispatch",
                      ctx -> {
                        HttpResponse<String> response =
                            client.send(
                                HttpRequest.newBuilder(URI.create(worker.url("/api/v1/health")))
                                    .build(),
                                HttpResponse.BodyHandlers.ofString());
                        ctx.result("worker said " + response.body());
                      });
                })) {
      assertThat(Http.get(api.url("/dispatch")).body()).isEqualTo("worker said ok");

      ReceivedSpan apiServer = receiver.awaitSpan("GET /dispatch");
      ReceivedSpan apiClient =
          receiver
              .awaitSpans(
                  s -> s.span().getKind() == Span.SpanKind.SPAN_KIND_CLIENT,
                  1,
                  Duration.ofSeconds(10))
              .get(0);
      ReceivedSpan workerServer = receiver.awaitSpan("GET /api/v1/health");

      assertThat(apiClient.name()).isEqualTo("GET");
      assertThat(apiClient.attribute("server.address")).isEqualTo("127.0.0.1");
      assertThat(apiClient.attribute("http.response.status_code")).isEqualTo("200");
      assertThat(apiClient.traceId()).isEqualTo(apiServer.traceId());
      assertThat(apiClient.parentSpanId()).isEqualTo(apiServer.spanId());
      assertThat(workerServer.traceId()).isEqualTo(apiServer.traceId());
      assertThat(workerServer.parentSpanId()).isEqualTo(apiClient.spanId());
      assertThat(workerServer.resource()).containsEntry("service.name", "ktrdr-worker");
      assertThat(apiServer.resource()).containsEntry("service.name", "ktrdr-api");
    }
  }

  @Test
  void anIncomingTraceparentIsContinued() {
    try (TestApp app = app("ktrdr-api")) {
      String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      String parent = "00f067aa0ba902b7";
      Http.send(
          Http.request(app.url("/api/v1/health"))
              .header("traceparent", "00-" + traceId + "-" + parent + "-01")
              .build());

      ReceivedSpan span = receiver.awaitSpan("GET /api/v1/health");

      assertThat(span.traceId()).isEqualTo(traceId);
      assertThat(span.parentSpanId()).isEqualTo(parent);
    }
  }

  @Test
  void aMalformedTraceparentStartsANewTraceAndTheRequestSucceeds() {
    try (TestApp app = app("ktrdr-api")) {
      for (String header :
          new String[] {
            "garbage",
            "00-zzzz-00f067aa0ba902b7-01",
            "00-" + "0".repeat(32) + "-00f067aa0ba902b7-01"
          }) {
        HttpResponse<String> response =
            Http.send(
                Http.request(app.url("/api/v1/health"))
                    .header("traceparent", header)
                    .header("tracestate", "=,=,=")
                    .header("baggage", ";;;=")
                    .build());
        assertThat(response.statusCode()).isEqualTo(200);
      }

      assertThat(
              receiver.awaitSpans(
                  s -> s.name().equals("GET /api/v1/health"), 3, Duration.ofSeconds(10)))
          .hasSizeGreaterThanOrEqualTo(3)
          .allSatisfy(
              span -> {
                assertThat(span.parentSpanId()).isEmpty();
                assertThat(span.traceId()).isNotEqualTo("0".repeat(32));
              });
    }
  }

  @Test
  void serverErrorsMarkTheSpanAndClientErrorsDoNot() {
    try (TestApp app = app("ktrdr-api")) {
      Http.get(app.url("/boom"));
      Http.get(app.url("/bad"));
      Http.get(app.url("/nowhere"));

      ReceivedSpan boom = receiver.awaitSpan("GET /boom");
      ReceivedSpan bad = receiver.awaitSpan("GET /bad");
      ReceivedSpan unmatched = receiver.awaitSpan("GET");

      assertThat(boom.span().getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
      // Javalin maps the exception to a 500 and logs it (with this span's trace id); the span
      // carries the status. The plugin does not take the router's handler wrapper to see it.
      assertThat(boom.attribute("error.type")).isEqualTo("500");
      assertThat(bad.span().getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);
      assertThat(unmatched.attribute("http.response.status_code")).isEqualTo("404");
      assertThat(unmatched.attributes()).doesNotContainKey("http.route");
    }
  }

  @Test
  void inSpanRecordsExceptionsAndRethrowsThem() {
    try (TestApp app = app("helpers")) {
      KtrdrTracing tracing = app.telemetry.tracing();
      AttributeKey<String> symbol = AttributeKey.stringKey("data.symbol");

      String value = tracing.inSpan("data_loading", Attributes.of(symbol, "AAPL"), () -> "bars");
      assertThatThrownBy(
              () ->
                  tracing.inSpan(
                      "strategy_init",
                      Attributes.empty(),
                      () -> {
                        throw new java.io.IOException("no strategy file");
                      }))
          .isInstanceOf(java.io.IOException.class)
          .hasMessage("no strategy file");

      assertThat(value).isEqualTo("bars");
      assertThat(receiver.awaitSpan("data_loading").attribute("data.symbol")).isEqualTo("AAPL");
      ReceivedSpan failed = receiver.awaitSpan("strategy_init");
      assertThat(failed.span().getStatus().getCode())
          .isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
      assertThat(failed.span().getEvents(0).getName()).isEqualTo("exception");
    }
  }

  @Test
  void wrappedExecutorsCarryTheTraceToOtherThreads() throws Exception {
    try (TestApp app = app("helpers")) {
      KtrdrTracing tracing = app.telemetry.tracing();
      ExecutorService executor = tracing.wrap(Executors.newSingleThreadExecutor());
      try {
        tracing.inSpan(
            "parent",
            Attributes.empty(),
            () ->
                executor
                    .submit(() -> tracing.inSpan("child", Attributes.empty(), () -> null))
                    .get(5, TimeUnit.SECONDS));
      } finally {
        executor.shutdownNow();
      }

      ReceivedSpan parent = receiver.awaitSpan("parent");
      ReceivedSpan child = receiver.awaitSpan("child");
      assertThat(child.traceId()).isEqualTo(parent.traceId());
      assertThat(child.parentSpanId()).isEqualTo(parent.spanId());
    }
  }

  @Test
  void wrappedDataSourcesTraceStatements() throws Exception {
    try (TestApp app = app("ktrdr-api")) {
      JdbcDataSource h2 = new JdbcDataSource();
      h2.setURL("jdbc:h2:mem:tracing;DB_CLOSE_DELAY=-1");
      DataSource dataSource = app.telemetry.tracing().dataSource(h2);

      app.telemetry
          .tracing()
          .inSpan(
              "query",
              Attributes.empty(),
              () -> {
                try (Connection connection = dataSource.getConnection();
                    Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT 1 + 1")) {
                  rows.next();
                  return rows.getInt(1);
                }
              });

      ReceivedSpan parent = receiver.awaitSpan("query");
      ReceivedSpan db =
          receiver
              .awaitSpans(
                  s ->
                      s.span().getKind() == Span.SpanKind.SPAN_KIND_CLIENT
                          && s.scope().contains("jdbc"),
                  1,
                  Duration.ofSeconds(10))
              .get(0);
      assertThat(db.parentSpanId()).isEqualTo(parent.spanId());
      // The JDBC library's default (pre-stable) database conventions; see docs/tracing.md.
      assertThat(db.attributes())
          .containsEntry("db.system", "h2")
          .containsEntry("db.statement", "SELECT ? + ?");
    }
  }
}
