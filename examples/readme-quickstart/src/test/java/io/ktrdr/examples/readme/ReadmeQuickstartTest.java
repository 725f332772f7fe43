package io.ktrdr.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.examples.support.ExampleProcess;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedLog;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.ktrdr.telemetry.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * Follows the README's quick start word for word: builds a project of its {@code pom.xml} and its
 * {@code main} with its build command, starts the jar its run command names, makes a request to its
 * route, and checks every series the README says {@code curl localhost:8080/metrics} shows (none of
 * the route before that request), the handler's JSON log line with the request's trace id, and that
 * the span and, with {@code OTEL_LOGS_EXPORTER=otlp}, the log record reach {@code
 * OTEL_EXPORTER_OTLP_ENDPOINT}. The one change: the port 8080 becomes a free one.
 */
class ReadmeQuickstartTest {
  private static final String DOCUMENTED_PORT = "8080";

  /** The paragraph that lists what the scrape shows starts with this. */
  private static final String CLAIMS_START = "`curl localhost:" + DOCUMENTED_PORT + "/metrics`";

  /** The quick start's build-and-run command: {@code mvn GOALS && java -jar JAR}. */
  private static final Pattern RUN = Pattern.compile("mvn\\s+(.+?)\\s*&&\\s*java -jar (\\S+)");

  private static final Pattern CODE_SPAN = Pattern.compile("`([^`]+)`");
  private static final Pattern SERIES = Pattern.compile("^([a-z][a-z0-9_]*)(?:\\{(.*)\\})?$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"([^\"]*)\"");

  /** A series the README promises: its name and the labels it names (others may follow). */
  private record Series(String name, Map<String, String> labels) {
    boolean matches(String line) {
      if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
        return false;
      }
      return labels.entrySet().stream()
          .allMatch(label -> line.contains(label.getKey() + "=\"" + label.getValue() + "\""));
    }
  }

  @Test
  void theQuickStartBuildsRunsAndServesWhatTheReadmeSays() throws Exception {
    Path root = Path.of(System.getProperty("repository.root")).toAbsolutePath().normalize();
    Readme readme = Readme.quickStart(root.resolve("README.md"));
    assertThat(readme.xmlBlocks())
        .as("XML blocks of the README's quick start: one pom.xml")
        .hasSize(1);
    assertThat(readme.javaBlocks()).as("Java blocks of the README's quick start").hasSize(1);
    assertThat(readme.shellBlocks())
        .as("the quick start's install command, which scripts/test-examples.sh runs too")
        .anyMatch(block -> block.strip().equals("./mvnw -DskipTests install"));
    Matcher run =
        readme.shellBlocks().stream()
            .map(block -> RUN.matcher(block.strip()))
            .filter(Matcher::matches)
            .findFirst()
            .orElseThrow(
                () ->
                    new AssertionError(
                        "the quick start has no block `mvn ... && java -jar <jar>` to run it"));
    List<Series> promised = promisedSeries(readme.prose());
    assertThat(promised)
        .as("series listed after " + CLAIMS_START + " in the quick start")
        .isNotEmpty();
    String route =
        promised.stream()
            .map(series -> series.labels().get("http_route"))
            .filter(value -> value != null)
            .findFirst()
            .orElseThrow(() -> new AssertionError("the README names no http_route to request"));

    String source = readme.javaBlocks().get(0);
    assertThat(source.split(DOCUMENTED_PORT, -1))
        .as("the quick start binds port " + DOCUMENTED_PORT + " once (the test moves it)")
        .hasSize(2);
    int port = Ports.free();
    QuickstartProject project =
        QuickstartProject.write(
            Path.of(System.getProperty("quickstart.dir")),
            readme.xmlBlocks().get(0),
            source.replace(DOCUMENTED_PORT, Integer.toString(port)));
    Path jar = project.build(List.of(run.group(1).trim().split("\\s+")), run.group(2));

    try (OtlpReceiver receiver = OtlpReceiver.start();
        ExampleProcess app =
            ExampleProcess.start(
                jar.toString(),
                project.mainClass(),
                Map.of(
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    receiver.endpoint(),
                    "OTEL_LOGS_EXPORTER",
                    "otlp",
                    "OTEL_BSP_SCHEDULE_DELAY",
                    "100",
                    "OTEL_BLRP_SCHEDULE_DELAY",
                    "100"))) {
      String base = "http://127.0.0.1:" + port;
      app.awaitHttpOk(base + "/metrics", Duration.ofSeconds(60));
      assertThat(Http.get(base + "/metrics").body())
          .as("/metrics before the first request: the README says no route has a series yet")
          .doesNotContain("http_route=\"" + route + "\"");

      String path = route.replaceAll("\\{[^}]+}", "42");
      assertThat(Http.get(base + path).statusCode()).as("GET " + path).isEqualTo(200);

      List<String> scrape = Arrays.asList(Http.get(base + "/metrics").body().split("\n"));
      SoftAssertions softly = new SoftAssertions();
      for (Series series : promised) {
        softly
            .assertThat(scrape)
            .as("a line of /metrics for %s, as the README promises", series)
            .anyMatch(series::matches);
      }
      softly.assertAll();

      List<ReceivedSpan> spans =
          receiver.awaitSpans(
              span -> span.name().equals("GET " + route), 1, Duration.ofSeconds(30));
      ReceivedSpan server = spans.get(0);
      assertThat(server.kind()).isEqualTo("SERVER");

      // The handler's log line: one JSON object on stdout, with the request's trace id.
      String logged = "item 42 requested";
      app.awaitLine(
          Pattern.compile(
              "^\\{.*\"message\":\"" + logged + "\".*\"trace_id\":\"" + server.traceId() + "\""),
          Duration.ofSeconds(10));
      assertThat(app.output())
          .as("every line the quick start writes is a JSON object (no plain-text SDK output)")
          .isNotEmpty()
          .allMatch(line -> line.startsWith("{\"") && line.endsWith("}"));

      // OTEL_LOGS_EXPORTER=otlp: the same line, as a log record of the request's trace.
      List<ReceivedLog> records =
          receiver.awaitLogs(record -> record.body().equals(logged), Duration.ofSeconds(30));
      assertThat(records.get(0).traceId()).isEqualTo(server.traceId());
      assertThat(records.get(0).spanId()).isNotEmpty();
      assertThat(records.get(0).resource()).containsEntry("service.name", "my-service");
    }
  }

  /** The series named in code spans of the paragraph that starts with {@link #CLAIMS_START}. */
  private static List<Series> promisedSeries(String prose) {
    int start = prose.indexOf(CLAIMS_START);
    if (start < 0) {
      return List.of();
    }
    int end = prose.indexOf("\n\n", start);
    String paragraph =
        prose.substring(start + CLAIMS_START.length(), end < 0 ? prose.length() : end);
    List<Series> result = new ArrayList<>();
    Matcher code = CODE_SPAN.matcher(paragraph);
    while (code.find()) {
      Matcher series = SERIES.matcher(code.group(1));
      if (!series.matches()) {
        continue;
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (series.group(2) != null) {
        Matcher label = LABEL.matcher(series.group(2));
        while (label.find()) {
          labels.put(label.group(1), label.group(2));
        }
      }
      result.add(new Series(series.group(1), labels));
    }
    return result;
  }
}
