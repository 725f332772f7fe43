package io.ktrdr.telemetry.javalin;

import static io.javalin.apibuilder.ApiBuilder.get;
import static io.javalin.apibuilder.ApiBuilder.path;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.ktrdr.telemetry.testing.Scrape;
import io.ktrdr.telemetry.tracing.KtrdrTracing;
import io.opentelemetry.api.baggage.Baggage;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The plugin composes with what an application does itself: its own handler wrapper, before and
 * after handlers, path groups and virtual threads. And the caller's context is honoured in
 * metrics-only mode too.
 */
class CompositionTest {
  private static final String TRACEPARENT =
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  private static final String CALLER_TRACE_ID = "0af7651916cd43dd8448eb211c80319c";

  @Test
  void routesAndSpansSurviveTheApplicationsOwnWrapperHandlersGroupsAndVirtualThreads() {
    AtomicInteger wrapped = new AtomicInteger();
    AtomicInteger befores = new AtomicInteger();
    AtomicInteger afters = new AtomicInteger();
    List<Boolean> virtual = new CopyOnWriteArrayList<>();
    try (OtlpReceiver receiver = OtlpReceiver.start();
        TestApp app =
            TestApp.start(
                builder ->
                    builder
                        .otlpEndpoint(receiver.endpoint())
                        .environment(Map.of("OTEL_BSP_SCHEDULE_DELAY", "50")),
                plugin -> {},
                (config, telemetry) -> {
                  config.concurrency.useVirtualThreads = true;
                  config.router.handlerWrapper(
                      endpoint ->
                          ctx -> {
                            wrapped.incrementAndGet();
                            endpoint.handler.handle(ctx);
                          });
                  config.routes.before(ctx -> befores.incrementAndGet());
                  config.routes.after(ctx -> afters.incrementAndGet());
                  config.routes.apiBuilder(
                      () ->
                          path(
                              "/v2",
                              () ->
                                  path(
                                      "/items",
                                      () ->
                                          get(
                                              "/{id}",
                                              ctx -> {
                                                virtual.add(isVirtual(Thread.currentThread()));
                                                ctx.result(KtrdrTracing.currentTraceId());
                                              }))));
                })) {
      String traceId = Http.get(app.url("/v2/items/42")).body();

      assertThat(wrapped.get()).as("the application's wrapper ran").isPositive();
      assertThat(befores.get()).isPositive();
      assertThat(afters.get()).isPositive();
      // Javalin uses virtual threads where the JDK has them (21+), platform threads on 17.
      assertThat(virtual).containsExactly(Runtime.version().feature() >= 21);
      ReceivedSpan span = receiver.awaitSpan("GET /v2/items/{id}");
      assertThat(span.traceId()).as("context on the virtual thread").isEqualTo(traceId);
      assertThat(span.attribute("http.route")).isEqualTo("/v2/items/{id}");
      Scrape scrape = KtrdrJavalinPluginTest.scrape(app);
      assertThat(
              scrape.value(
                  "http_server_request_duration_seconds_count",
                  Map.of("http_route", "/v2/items/{id}")))
          .isEqualTo(1);
    }
  }

  private static boolean isVirtual(Thread thread) {
    try {
      return (Boolean) Thread.class.getMethod("isVirtual").invoke(thread);
    } catch (NoSuchMethodException e) {
      return false; // JDK 17: there are no virtual threads
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void inMetricsOnlyModeTheCallersTraceAndBaggageAreCurrentAndForwarded() throws Exception {
    List<String> forwarded = new CopyOnWriteArrayList<>();
    HttpServer downstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    downstream.createContext(
        "/",
        exchange -> {
          forwarded.add(String.valueOf(exchange.getRequestHeaders().getFirst("traceparent")));
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    downstream.start();
    try (TestApp app =
        TestApp.start(
            builder -> builder.tracing(false),
            plugin -> {},
            (config, telemetry) -> {
              HttpClient client = telemetry.tracing().httpClient(HttpClient.newHttpClient());
              config.routes.get(
                  "/relay",
                  ctx -> {
                    client.send(
                        HttpRequest.newBuilder(
                                URI.create(
                                    "http://127.0.0.1:" + downstream.getAddress().getPort() + "/"))
                            .build(),
                        HttpResponse.BodyHandlers.discarding());
                    ctx.result(
                        KtrdrTracing.currentTraceId()
                            + " "
                            + Baggage.current().getEntryValue("tenant"));
                  });
            })) {
      String body =
          Http.send(
                  Http.request(app.url("/relay"))
                      .header("traceparent", TRACEPARENT)
                      .header("baggage", "tenant=acme")
                      .build())
              .body();

      assertThat(body).isEqualTo(CALLER_TRACE_ID + " acme");
      assertThat(forwarded).singleElement().asString().contains(CALLER_TRACE_ID);
    } finally {
      downstream.stop(0);
    }
  }
}
