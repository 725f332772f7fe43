package io.ktrdr.examples.log4j2;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.examples.support.ExampleProcess;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The library in a log4j2 application: one SLF4J provider (log4j2's), the application's own
 * log4j2.xml formats every line (the library's too), and a line logged in a span carries its ids.
 */
class Log4j2ExampleTest {
  private static final String PROVIDER_SERVICE =
      "META-INF/services/org.slf4j.spi.SLF4JServiceProvider";
  private static final Pattern WORK_LINE =
      Pattern.compile(
          "^LOG4J2 INFO Main trace_id=([0-9a-f]{32}) span_id=([0-9a-f]{16}) - importing prices$");

  @Test
  void exactlyOneSlf4jProviderOnTheRuntimeClasspath() {
    List<String> providers =
        ExampleProcess.runtimeClasspathEntries().stream()
            .filter(entry -> entry.endsWith(".jar") && containsEntry(entry, PROVIDER_SERVICE))
            .map(entry -> Path.of(entry).getFileName().toString())
            .toList();
    assertThat(providers)
        .as("jars declaring an SLF4J provider; the library must not bring a backend of its own")
        .singleElement()
        .asString()
        .startsWith("log4j-slf4j2-impl-");
  }

  @Test
  void logsThroughTheApplicationsLog4j2ConfigurationWithTraceIds() {
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      List<String> output;
      try (ExampleProcess app =
          ExampleProcess.start(
              Main.class.getName(),
              Map.of(
                  "OTEL_EXPORTER_OTLP_ENDPOINT",
                  receiver.endpoint(),
                  "OTEL_BSP_SCHEDULE_DELAY",
                  "100"))) {
        assertThat(app.awaitExit(Duration.ofSeconds(30))).as("exit code").isZero();
        output = app.finalOutput();
      }
      String all = String.join("\n", output);
      assertThat(all)
          .as("SLF4J's warning about several providers")
          .doesNotContain("multiple SLF4J providers");
      assertThat(output)
          .as("the library's own start-up line, formatted by the application's log4j2.xml")
          .anyMatch(line -> line.matches("^LOG4J2 INFO KtrdrTelemetry .* - Telemetry ready.*"));
      assertThat(output)
          .as("no line in another backend's format (JSON lines are logback's)")
          .noneMatch(line -> line.startsWith("{"));

      Matcher work =
          output.stream()
              .map(WORK_LINE::matcher)
              .filter(Matcher::matches)
              .findFirst()
              .orElseThrow(
                  () ->
                      new AssertionError(
                          "no line matching /" + WORK_LINE + "/ in the output:\n" + all));
      List<ReceivedSpan> spans =
          receiver.awaitSpans(
              span -> span.name().equals("import_prices"), 1, Duration.ofSeconds(10));
      ReceivedSpan span = spans.get(0);
      assertThat(span.serviceName()).isEqualTo("log4j2-example");
      assertThat(work.group(1)).as("trace_id in the log line").isEqualTo(span.traceId());
      assertThat(work.group(2)).as("span_id in the log line").isEqualTo(span.spanId());
    }
  }

  private static boolean containsEntry(String jar, String entry) {
    if (!Files.isRegularFile(Path.of(jar))) {
      return false;
    }
    try (ZipFile zip = new ZipFile(jar)) {
      return zip.getEntry(entry) != null;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + jar, e);
    }
  }
}
