package io.ktrdr.app;

import static io.ktrdr.app.testing.Cluster.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.router.ParsedEndpoint;
import io.ktrdr.app.testing.Cluster;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class OpenApiTest {
  private static Cluster cluster;

  @BeforeAll
  static void start() {
    cluster = new Cluster(Map.of(), Map.of());
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void everyServedRouteIsDocumentedAndEveryDocumentedRouteIsServed() {
    Set<String> served = new HashSet<>();
    for (ParsedEndpoint endpoint : cluster.api.javalin().unsafe.internalRouter.allHttpHandlers()) {
      // The telemetry plugin's beforeMatched handler is not a route.
      if (endpoint.endpoint.method.isHttpMethod()) {
        served.add(endpoint.endpoint.method.name() + " " + endpoint.endpoint.path);
      }
    }
    JsonNode document = json(cluster.api("GET", "/api/v1/openapi.json", null));
    Set<String> documented = new HashSet<>();
    for (Map.Entry<String, JsonNode> path : document.get("paths").properties()) {
      for (String method : path.getValue().propertyNames()) {
        documented.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey());
      }
    }

    assertThat(documented).isEqualTo(served);
    assertThat(document.get("openapi").asString()).isEqualTo("3.0.3");
    assertThat(served).contains("GET /api/v1/data/{symbol}/{timeframe}", "HEAD /metrics");
  }

  @Test
  void pathParametersAndBodiesAreDescribed() {
    JsonNode paths = json(cluster.api("GET", "/api/v1/openapi.json", null)).get("paths");

    JsonNode bars = paths.get("/api/v1/data/{symbol}/{timeframe}").get("get");
    assertThat(bars.get("parameters").findValuesAsString("name"))
        .containsExactly("symbol", "timeframe", "start", "end");
    JsonNode backtest = paths.get("/api/v1/backtests/start").get("post");
    assertThat(backtest.at("/requestBody/content/application~1json/example/symbol").asString())
        .isEqualTo("AAPL");
    assertThat(backtest.get("responses").propertyNames()).contains("202", "400", "404", "503");
  }

  @Test
  void pageParametersAreIntegersWithTheirRange() {
    JsonNode paths = json(cluster.api("GET", "/api/v1/openapi.json", null)).get("paths");
    for (String path : List.of("/api/v1/operations", "/api/v1/workers")) {
      JsonNode parameters = paths.get(path).get("get").get("parameters");
      assertThat(parameters.findValuesAsString("name")).containsExactly("limit", "offset");
      assertThat(parameters.get(0).get("schema").toString())
          .isEqualTo("{\"type\":\"integer\",\"minimum\":1,\"maximum\":500}");
      assertThat(parameters.get(1).get("schema").toString())
          .isEqualTo("{\"type\":\"integer\",\"minimum\":0,\"maximum\":1000000}");
    }
  }

  @Test
  void swaggerUiIsServedFromTheWebjarWithoutACdn() {
    HttpResponse<String> page = cluster.api("GET", "/api/v1/docs", null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    assertThat(page.body()).doesNotContain("https://").contains("/api/v1/docs/init.js");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""))
        .contains("script-src 'self'")
        .contains("frame-ancestors 'none'");
    assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    // The page opens our document directly, not the webjar's petstore default.
    HttpResponse<String> init = cluster.api("GET", "/api/v1/docs/init.js", null);
    assertThat(init.body()).contains("url: '/api/v1/openapi.json'").doesNotContain("petstore");
    HttpResponse<String> webjarIndex =
        cluster.api(
            "GET",
            "/webjars/swagger-ui/" + io.ktrdr.app.AppVersion.swaggerUi() + "/index.html",
            null);
    assertThat(webjarIndex.statusCode()).isEqualTo(302);
    assertThat(webjarIndex.headers().firstValue("Location")).hasValue("/api/v1/docs");

    Matcher script = Pattern.compile("src=\"([^\"]+swagger-ui-bundle\\.js)\"").matcher(page.body());
    assertThat(script.find()).isTrue();
    HttpResponse<String> bundle = cluster.api("GET", script.group(1), null);
    assertThat(bundle.statusCode()).isEqualTo(200);
    assertThat(bundle.body().length()).isGreaterThan(100_000);
  }
}
