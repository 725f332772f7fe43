package io.ktrdr.telemetry.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.Scrape;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Excluded paths, the metrics path among them, are matched as the application declares them: under
 * a Javalin context path and with a trailing slash, a scrape is not counted as traffic.
 */
class ExcludedPathsTest {

  @Test
  void underAContextPathAndWithATrailingSlashScrapesAndProbesAreNotTraffic() {
    try (KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("context-path")
            .environment(Map.of("OTEL_TRACES_EXPORTER", "none"))
            .shutdownHook(false)
            .build()) {
      Javalin app =
          Javalin.create(
                  config -> {
                    config.router.contextPath = "/svc";
                    config.router.ignoreTrailingSlashes = true;
                    config.registerPlugin(
                        new KtrdrJavalinPlugin(
                            plugin -> {
                              plugin.telemetry = telemetry;
                              plugin.excludedPaths = List.of("/health");
                            }));
                    config.routes.get("/health", ctx -> ctx.result("ok"));
                    config.routes.get("/orders", ctx -> ctx.result("[]"));
                  })
              .start("127.0.0.1", 0);
      try {
        String base = "http://127.0.0.1:" + app.port() + "/svc";
        for (String path : List.of("/metrics", "/metrics/", "/health", "/health/", "/orders")) {
          assertThat(Http.get(base + path).statusCode()).as(path).isEqualTo(200);
        }
        String scrape = Http.get(base + "/metrics").body();
        List<String> counted =
            Scrape.parse(scrape).samples("http_server_request_duration_seconds_count").stream()
                .map(s -> s.label("http_route") + " " + s.label("http_request_method"))
                .collect(Collectors.toList());
        assertThat(counted).containsExactly("/orders GET");
      } finally {
        app.stop();
      }
    }
  }
}
