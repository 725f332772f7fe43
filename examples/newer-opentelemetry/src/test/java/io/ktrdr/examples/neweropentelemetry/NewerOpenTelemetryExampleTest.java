package io.ktrdr.examples.neweropentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.examples.support.ExampleProcess;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * ktrdr-telemetry on the OpenTelemetry version the application imports ({@code
 * -Dopentelemetry.version}, default the newest release that resolves here): it starts, serves
 * {@code /metrics} and exports spans over OTLP.
 */
class NewerOpenTelemetryExampleTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String VERSION = System.getProperty("opentelemetry.version");

  @Test
  void theApplicationsOpenTelemetryVersionIsTheOneOnTheClasspath() {
    List<String> entries = ExampleProcess.runtimeClasspathEntries();
    assertThat(VERSION).isNotBlank();
    for (String module :
        List.of("api", "sdk-trace", "sdk-metrics", "sdk-extension-autoconfigure")) {
      assertThat(entries)
          .as("opentelemetry-%s at %s", module, VERSION)
          .anyMatch(entry -> entry.endsWith("/opentelemetry-" + module + "-" + VERSION + ".jar"));
    }
    // The alpha half moves with it (api-incubator of another version fails start-up) ...
    assertThat(entries)
        .anyMatch(
            entry -> entry.endsWith("/opentelemetry-api-incubator-" + VERSION + "-alpha.jar"));
    // ... except the Prometheus exporter, pinned where ktrdr-telemetry-bom has it.
    assertThat(entries)
        .filteredOn(entry -> entry.contains("/opentelemetry-exporter-prometheus-"))
        .singleElement()
        .asString()
        .endsWith("/opentelemetry-exporter-prometheus-1.65.0-alpha.jar");
  }

  @Test
  void startsServesMetricsAndExportsSpans() {
    try (OtlpReceiver receiver = OtlpReceiver.start();
        ExampleProcess app =
            ExampleProcess.start(
                Main.class.getName(),
                Map.of(
                    "KTRDR_METRICS_PORT", "0",
                    "KTRDR_METRICS_HOST", "127.0.0.1",
                    "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(),
                    "OTEL_BSP_SCHEDULE_DELAY", "100"))) {
      String port = app.awaitLine(Pattern.compile("metrics on port (\\d+)"), TIMEOUT).group(1);

      List<ReceivedSpan> spans =
          receiver.awaitSpans(span -> span.name().equals("example_work"), 1, TIMEOUT);
      assertThat(spans)
          .singleElement()
          .satisfies(
              span -> assertThat(span.serviceName()).isEqualTo("newer-opentelemetry-example"));

      HttpResponse<String> scrape = Http.get("http://127.0.0.1:" + port + "/metrics");
      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.body())
          .containsPattern("(?m)^example_work_total\\{[^}]*\\} 1(\\.0)?$")
          .containsPattern(
              "(?m)^target_info\\{.*service_name=\"newer-opentelemetry-example\".*\\} 1");
      // What a mismatch between the library and the SDK looks like at run time.
      assertThat(app.output())
          .noneMatch(
              line ->
                  line.contains("NoSuchMethodError")
                      || line.contains("IllegalAccessError")
                      || line.contains("NoClassDefFoundError"));
    }
  }
}
