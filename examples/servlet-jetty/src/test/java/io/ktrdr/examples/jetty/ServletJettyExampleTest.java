package io.ktrdr.examples.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.examples.support.ExampleProcess;
import io.ktrdr.telemetry.testing.Http;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Plain Jetty servlets: the servlet filter's route histogram, checked on a real scrape. */
class ServletJettyExampleTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  void countsRequestsByServletMapping() {
    try (ExampleProcess app =
        ExampleProcess.start(
            Main.class.getName(), Map.of("PORT", "0", "KTRDR_METRICS_PORT", "0"))) {
      String base =
          app.awaitLine(Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)"), TIMEOUT)
              .group(1);
      String metrics =
          app.awaitLine(
                  Pattern.compile("metrics on (http://127\\.0\\.0\\.1:\\d+/metrics)"), TIMEOUT)
              .group(1);
      assertThat(Http.get(base + "/orders/1").body()).isEqualTo("order 1\n");
      assertThat(Http.get(base + "/orders/2").statusCode()).isEqualTo(200);
      assertThat(Http.get(base + "/fail").statusCode()).isEqualTo(500);
      assertThat(Http.get(base + "/health").statusCode()).isEqualTo(200);

      HttpResponse<String> scrape = Http.get(metrics);
      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.body())
          .containsPattern(
              "(?m)^http_server_request_duration_seconds_count\\{http_request_method=\"GET\","
                  + "http_response_status_code=\"200\",http_route=\"/orders/\\*\",[^}]*\\} 2$")
          .containsPattern(
              "(?m)^http_server_request_duration_seconds_count\\{"
                  + "error_type=\"java.lang.IllegalStateException\",http_request_method=\"GET\","
                  + "http_response_status_code=\"500\",http_route=\"/fail\",[^}]*\\} 1$")
          .doesNotContain("http_route=\"/health\"")
          .doesNotContain("/orders/1");
    }
  }
}
