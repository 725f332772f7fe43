package io.ktrdr.examples.jdkhttp;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.examples.support.ExampleProcess;
import io.ktrdr.telemetry.testing.Http;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The library without Javalin: the JDK's HttpServer serves its metrics and records requests. */
class JdkHttpServerExampleTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  void runtimeClasspathHasNoJavalinNorJetty() {
    List<String> entries = ExampleProcess.runtimeClasspathEntries();
    assertThat(entries).isNotEmpty().anyMatch(entry -> entry.contains("ktrdr-telemetry-"));
    assertThat(entries)
        .as("a server-agnostic app must not get Javalin or Jetty from the library")
        .noneMatch(
            entry -> entry.contains("/io/javalin/") || entry.contains("/org/eclipse/jetty/"));
  }

  @Test
  void runtimeClasspathHasOneExpositionFormatsJar() {
    // The shaded prometheus-metrics-exposition-formats next to -no-protobuf (which the OTel
    // exporter brings) would duplicate classes; the BOM's exclusions prevent it.
    assertThat(ExampleProcess.runtimeClasspathEntries())
        .filteredOn(entry -> entry.contains("prometheus-metrics-exposition-formats"))
        .singleElement()
        .asString()
        .contains("exposition-formats-no-protobuf");
  }

  @Test
  void servesMetricsFromTheJdkHttpServer() {
    try (ExampleProcess app = ExampleProcess.start(Main.class.getName(), Map.of("PORT", "0"))) {
      String base =
          app.awaitLine(Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)"), TIMEOUT)
              .group(1);
      for (int i = 0; i < 3; i++) {
        assertThat(Http.get(base + "/hello").statusCode()).isEqualTo(200);
      }

      HttpResponse<String> scrape = Http.get(base + "/metrics");
      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.headers().firstValue("Content-Type"))
          .hasValue("text/plain; version=0.0.4; charset=utf-8");
      assertThat(scrape.body())
          .containsPattern("(?m)^example_greetings_total\\{[^}]*\\} 3(\\.0)?$")
          .containsPattern(
              "(?m)^http_server_request_duration_seconds_count\\{http_request_method=\"GET\","
                  + "http_response_status_code=\"200\",http_route=\"/hello\",[^}]*\\} 3$")
          .doesNotContain("http_route=\"/metrics\"")
          .containsPattern("(?m)^target_info\\{.*service_name=\"jdk-httpserver-example\".*\\} 1")
          .containsPattern("(?m)^jvm_memory_used_bytes\\{area=\"heap\"\\} ")
          .containsPattern("(?m)^process_cpu_seconds_total ");

      HttpResponse<String> openMetrics =
          Http.get(
              base + "/metrics",
              "Accept",
              "application/openmetrics-text; version=1.0.0; charset=utf-8");
      assertThat(openMetrics.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("application/openmetrics-text"));
      assertThat(openMetrics.body()).endsWith("# EOF\n");
    }
  }
}
