package io.ktrdr.examples.javalinvt;

import io.javalin.Javalin;
import io.javalin.http.Handler;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.javalin.KtrdrJavalinPlugin;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import java.util.List;

/**
 * A Javalin app that handles requests on virtual threads and wraps every handler itself (here: a
 * response header; in real apps, auth or timing), next to the telemetry plugin. The port comes from
 * {@code PORT} (default 8080; 0 picks a free one).
 */
public final class Main {
  private static final AttributeKey<String> ITEM_ID = AttributeKey.stringKey("item.id");

  private Main() {}

  public static void main(String[] args) {
    KtrdrTelemetry telemetry = KtrdrTelemetry.setup("javalin-vt-example");
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    Javalin app =
        Javalin.create(
                config -> {
                  config.concurrency.useVirtualThreads = true;
                  config.router.handlerWrapper(
                      endpoint -> {
                        Handler handler = endpoint.handler;
                        return ctx -> {
                          ctx.header("X-Wrapped-By", "example-wrapper");
                          handler.handle(ctx);
                        };
                      });
                  config.registerPlugin(
                      new KtrdrJavalinPlugin(
                          plugin -> {
                            plugin.telemetry = telemetry;
                            plugin.excludedPaths = List.of("/metrics");
                          }));
                  config.routes.get(
                      "/api/items/{id}",
                      ctx -> {
                        String id = ctx.pathParam("id");
                        String item =
                            telemetry
                                .tracing()
                                .inSpan(
                                    "load_item", Attributes.of(ITEM_ID, id), () -> "item " + id);
                        ctx.header(
                            "X-Virtual-Thread",
                            Boolean.toString(Thread.currentThread().isVirtual()));
                        ctx.result(item);
                      });
                })
            .start("127.0.0.1", port);
    System.out.println("listening on http://127.0.0.1:" + app.port());
  }
}
