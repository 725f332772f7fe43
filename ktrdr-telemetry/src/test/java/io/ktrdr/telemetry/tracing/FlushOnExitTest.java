package io.ktrdr.telemetry.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.fixtures.ShortLivedJob;
import io.ktrdr.telemetry.testing.HangingCollector;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real short-lived JVMs: a batch job's {@code main} returns and the process exits by itself (the
 * library's threads, the standalone metrics server's included, are daemons) after its spans reached
 * the collector; with the collector down it exits at once (no retries while closing), and with a
 * collector that never answers within the shutdown timeout.
 */
class FlushOnExitTest {

  /** The job's output, and how long the process lived after {@code main} returned. */
  private record Run(int exitValue, List<String> output, Duration afterMain) {}

  private static Run run(String endpoint, String mode, Duration shutdownTimeout) throws Exception {
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                ShortLivedJob.class.getName(),
                endpoint,
                "300",
                mode,
                String.valueOf(shutdownTimeout.toMillis()))
            .redirectErrorStream(true)
            .start();
    List<String> output = new ArrayList<>();
    long mainReturned = 0;
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        output.add(line);
        if (line.equals("main returned")) {
          mainReturned = System.nanoTime();
        }
      }
    }
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("job exited: %s", output).isTrue();
    assertThat(mainReturned).as("main returned: %s", output).isPositive();
    return new Run(process.exitValue(), output, Duration.ofNanos(System.nanoTime() - mainReturned));
  }

  @ParameterizedTest
  @ValueSource(strings = {"close", "hook", "server"})
  void aShortLivedProcessExportsAllItsSpansAndExits(String mode) throws Exception {
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      Run run = run(receiver.endpoint(), mode, Duration.ofSeconds(10));

      assertThat(run.exitValue()).as(String.join("\n", run.output())).isZero();
      // Everything arrived before the process ended: no waiting here.
      assertThat(receiver.spans())
          .hasSize(300)
          .allSatisfy(s -> assertThat(s.name()).isEqualTo("job-step"));
      assertThat(receiver.spans().get(0).resource())
          .containsEntry("service.name", "short-lived-job");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"hook", "server"})
  void withTheCollectorDownItExitsAtOnceNotAfterTheShutdownTimeout(String mode) throws Exception {
    // Baseline: the same job against a collector that answers, measured on this machine now.
    Run baseline;
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      baseline = run(receiver.endpoint(), mode, Duration.ofMinutes(10));
    }
    // A refused connection is not retried while closing: no retry back-off (1 s, 1.5 s, 2.25 s,
    // 3.4 s: 8 s for the SDK's five attempts), and the shutdown timeout (10 minutes here, which the
    // 60 s wait for the process would catch) is never reached.
    Run run = run(HangingCollector.closedEndpoint(), mode, Duration.ofMinutes(10));

    assertThat(run.exitValue()).as(String.join("\n", run.output())).isZero();
    assertThat(run.output()).noneMatch(line -> line.contains("did not complete within"));
    assertThat(run.afterMain())
        .as("exit after main vs. the baseline's %s", baseline.afterMain())
        .isLessThan(baseline.afterMain().plusSeconds(4));
  }

  @ParameterizedTest
  @ValueSource(strings = {"hook", "server"})
  void withACollectorThatNeverAnswersItExitsWithinTheShutdownTimeout(String mode) throws Exception {
    Duration shutdownTimeout = Duration.ofSeconds(2);
    try (HangingCollector collector = HangingCollector.start()) {
      Run run = run(collector.endpoint(), mode, shutdownTimeout);

      assertThat(run.exitValue()).as(String.join("\n", run.output())).isZero();
      // The event, not a wall-clock bound: close() gave up at the shutdown timeout (it says so),
      // and the process then exited by itself (run() waits for that).
      assertThat(run.output())
          .anyMatch(
              line ->
                  line.contains(
                      "Telemetry shutdown did not complete within "
                          + shutdownTimeout.toMillis()
                          + " ms"));
      assertThat(collector.connections()).as("the export reached the collector").isPositive();
    }
  }
}
