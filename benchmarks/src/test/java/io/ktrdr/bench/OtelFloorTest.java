package io.ktrdr.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The floor of the load test writes the server span ktrdr-telemetry writes: same name, kind, status
 * and attributes (keys and values; only the ports of the two servers and of their clients differ),
 * for an answered request and for a 5xx. If ktrdr-telemetry's span gains or loses an attribute,
 * this fails until the floor does the same work again.
 */
class OtelFloorTest {
  private static final Consumer<JavalinConfig> ROUTES =
      config -> {
        LoadTarget.routes(config);
        config.routes.get("/api/v1/unavailable/{symbol}", ctx -> ctx.status(503).result("busy"));
      };

  private OtlpReceiver receiver;
  private KtrdrTelemetry telemetry;
  private OpenTelemetrySdk floorSdk;
  private Javalin ours;
  private Javalin floor;

  @BeforeEach
  void start() {
    receiver = OtlpReceiver.start();
    telemetry =
        KtrdrTelemetry.builder()
            .serviceName("load-target")
            .environment(
                Map.of(
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    receiver.endpoint(),
                    "OTEL_BSP_SCHEDULE_DELAY",
                    "50"))
            .jvmMetrics(false)
            .shutdownHook(false)
            .build();
    floorSdk =
        OtelFloor.sdk(
            Map.of(
                "otel.exporter.otlp.endpoint",
                receiver.endpoint(),
                "otel.bsp.schedule.delay",
                "50"));
    ours = LoadTarget.ktrdr(telemetry, ROUTES).start("127.0.0.1", 0);
    floor =
        Javalin.create(config -> OtelFloor.install(config, floorSdk, ROUTES)).start("127.0.0.1", 0);
  }

  @AfterEach
  void stop() {
    ours.stop();
    floor.stop();
    telemetry.close();
    floorSdk.close();
    receiver.close();
  }

  @Test
  void anAnsweredRequestGivesTheSameSpan() {
    assertSameSpans("/api/v1/data/AAPL/1d", 200, "GET /api/v1/data/{symbol}/{timeframe}");
  }

  @Test
  void aServerErrorGivesTheSameSpan() {
    assertSameSpans("/api/v1/unavailable/AAPL", 503, "GET /api/v1/unavailable/{symbol}");
  }

  private void assertSameSpans(String path, int status, String name) {
    assertThat(Http.get("http://127.0.0.1:" + ours.port() + path).statusCode()).isEqualTo(status);
    assertThat(Http.get("http://127.0.0.1:" + floor.port() + path).statusCode()).isEqualTo(status);
    ReceivedSpan oursSpan = serverSpan(ours.port());
    ReceivedSpan floorSpan = serverSpan(floor.port());

    assertThat(floorSpan.name()).isEqualTo(oursSpan.name()).isEqualTo(name);
    assertThat(floorSpan.kind()).isEqualTo(oursSpan.kind()).isEqualTo("SERVER");
    assertThat(floorSpan.span().getStatus()).isEqualTo(oursSpan.span().getStatus());
    assertThat(floorSpan.span().getEventsList()).isEqualTo(oursSpan.span().getEventsList());
    assertThat(withoutPorts(floorSpan.attributes())).isEqualTo(withoutPorts(oursSpan.attributes()));
    assertThat(floorSpan.attributes()).containsKeys("server.port", "network.peer.port");
    assertThat(oursSpan.attributes()).containsKeys("server.port", "network.peer.port");
    assertThat(floorSpan.attributes())
        .containsEntry("http.response.status_code", Integer.toString(status))
        .containsEntry("url.path", path);
  }

  private ReceivedSpan serverSpan(int port) {
    List<ReceivedSpan> spans =
        receiver.awaitSpans(
            span ->
                span.kind().equals("SERVER")
                    && Integer.toString(port).equals(span.attribute("server.port")),
            1,
            Duration.ofSeconds(10));
    assertThat(spans).hasSize(1);
    return spans.get(0);
  }

  private static Map<String, String> withoutPorts(Map<String, String> attributes) {
    Map<String, String> rest = new HashMap<>(attributes);
    rest.remove("server.port");
    rest.remove("network.peer.port");
    return rest;
  }
}
