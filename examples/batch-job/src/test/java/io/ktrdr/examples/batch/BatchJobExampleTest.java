package io.ktrdr.examples.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.examples.support.ExampleProcess;
import io.ktrdr.telemetry.testing.HangingCollector;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.ktrdr.telemetry.testing.Ports;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The batch job as a process: it serves metrics while it works, and when its input ends, {@code
 * main} returns and the JVM must exit by itself, its spans flushed, or, with the collector down,
 * within its shutdown timeout (3 s in BatchJob) rather than the OTLP exporter's 10 s.
 */
class BatchJobExampleTest {
  private static final Duration START = Duration.ofSeconds(30);

  /** The job's shutdown timeout plus the JVM's own start of exit; well under the 10 s OTLP one. */
  private static final Duration EXIT_WITHIN = Duration.ofSeconds(3 + 3);

  @Test
  void servesMetricsWhileWorkingThenExitsByItselfWithItsSpansDelivered() throws IOException {
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      int metricsPort = Ports.free();
      try (ExampleProcess job =
          ExampleProcess.start(
              BatchJob.class.getName(),
              Map.of(
                  "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(),
                  // Spans leave only at exit: the flush on exit is what delivers them.
                  "OTEL_BSP_SCHEDULE_DELAY", "600000",
                  "KTRDR_METRICS_PORT", Integer.toString(metricsPort)))) {
        feed(job, "a", "b", "c");
        job.awaitLine(Pattern.compile("processed c"), START);

        String scrape = Http.get("http://127.0.0.1:" + metricsPort + "/metrics").body();
        assertThat(scrape)
            .containsPattern("(?m)^batch_items_processed_total\\{[^}]*\\} 3(\\.0)?$")
            .containsPattern("(?m)^target_info\\{.*service_name=\"batch-job-example\".*\\} 1");

        job.stdin().close();
        assertThat(job.awaitExit(Duration.ofSeconds(15))).as("exit code").isZero();
      }
      // Flushed before the JVM ended: no waiting here.
      List<ReceivedSpan> spans = receiver.spans();
      ReceivedSpan run =
          spans.stream()
              .filter(span -> span.name().equals("batch_run"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no batch_run span among " + spans));
      assertThat(run.serviceName()).isEqualTo("batch-job-example");
      assertThat(spans)
          .filteredOn(span -> span.name().equals("process_item"))
          .extracting(span -> span.attributes().get("batch.item"))
          .containsExactlyInAnyOrder("a", "b", "c");
      assertThat(spans)
          .filteredOn(span -> span.name().equals("process_item"))
          .allSatisfy(
              item -> {
                assertThat(item.traceId()).isEqualTo(run.traceId());
                assertThat(item.parentSpanId()).isEqualTo(run.spanId());
              });
    }
  }

  @Test
  void exitsWithinTheShutdownTimeoutWhenTheCollectorRefusesConnections() throws IOException {
    String downCollector = "http://127.0.0.1:" + Ports.free();
    runToExitAgainst(downCollector);
  }

  @Test
  void exitsWithinTheShutdownTimeoutWhenTheCollectorNeverAnswers() throws IOException {
    try (HangingCollector collector = HangingCollector.start()) {
      runToExitAgainst(collector.endpoint());
    }
  }

  private static void runToExitAgainst(String collector) throws IOException {
    try (ExampleProcess job =
        ExampleProcess.start(
            BatchJob.class.getName(),
            Map.of(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                collector,
                "KTRDR_METRICS_PORT",
                Integer.toString(Ports.free())))) {
      feed(job, "x", "y");
      job.awaitLine(Pattern.compile("processed y"), START);
      job.stdin().close();
      job.awaitLine(Pattern.compile("main returns"), START);
      assertThat(job.awaitExit(EXIT_WITHIN)).as("exit code").isZero();
    }
  }

  private static void feed(ExampleProcess job, String... items) throws IOException {
    job.awaitLine(Pattern.compile("reading items"), START);
    OutputStream in = job.stdin();
    for (String item : items) {
      in.write((item + "\n").getBytes(StandardCharsets.UTF_8));
    }
    in.flush();
  }
}
