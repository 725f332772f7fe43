package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.app.api.ApiServer;
import io.ktrdr.app.testing.PrometheusProcess;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.config.ConfigException;
import io.ktrdr.telemetry.config.EnvConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class ApiServerTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private static KtrdrTelemetry telemetry;
  private static ApiServer api;

  @BeforeAll
  static void start() {
    telemetry =
        KtrdrTelemetry.builder()
            .serviceName("ktrdr-api")
            .environment(Map.of())
            .shutdownHook(false)
            .build();
    api = ApiServer.start(new AppConfig("api", "127.0.0.1", 0), telemetry);
  }

  @AfterAll
  static void stop() {
    api.close();
    telemetry.close();
  }

  private static HttpResponse<String> send(String method, String path) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthReportsStatusAndVersion() throws Exception {
    HttpResponse<String> response = send("GET", "/api/v1/health");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.get("status").asString()).isEqualTo("ok");
    assertThat(body.get("version").asString()).isEqualTo(AppVersion.get()).isNotEqualTo("unknown");
  }

  @Test
  void listsSymbols() throws Exception {
    JsonNode body = JSON.readTree(send("GET", "/api/v1/data/symbols").body());

    assertThat(body.get("symbols").findValuesAsString("symbol")).contains("AAPL", "EURUSD");
  }

  @Test
  void unknownRoutesGetAJsonErrorWithoutStackTrace() throws Exception {
    HttpResponse<String> response = send("GET", "/api/v1/nope");

    assertThat(response.statusCode()).isEqualTo(404);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.get("error").asString()).isEqualTo("not_found");
    assertThat(response.body()).doesNotContain("at io.");
  }

  @Test
  void metricsAreServedWithoutRedirect() throws Exception {
    HttpResponse<String> response = send("GET", "/metrics");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("target_info{").contains("service_name=\"ktrdr-api\"");
  }

  @Test
  void invalidAppConfigurationNamesTheKey() {
    assertThatThrownBy(() -> AppConfig.from(EnvConfig.of(Map.of("KTRDR_PORT", "eighty"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("KTRDR_PORT=eighty: expected a port number 0-65535");
    assertThatThrownBy(() -> AppConfig.from(EnvConfig.of(Map.of("KTRDR_ROLE", "db"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("KTRDR_ROLE=db: expected one of api");
  }

  @Test
  void aMissingPrometheusBinaryFailsWithTheInstallCommand() {
    assertThatThrownBy(() -> PrometheusProcess.binary("no-such-prometheus-binary"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("scripts/install-test-deps.sh");
  }

  @Test
  void defaultsBindLocalhostPort8000() throws IOException {
    AppConfig config = AppConfig.from(EnvConfig.of(Map.of()));

    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.port()).isEqualTo(8000);
  }
}
