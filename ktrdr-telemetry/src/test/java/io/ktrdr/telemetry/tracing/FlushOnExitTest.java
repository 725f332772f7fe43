package io.ktrdr.telemetry.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.ShortLivedJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A real short-lived JVM: its spans must all reach the collector before it exits. */
class FlushOnExitTest {

  @ParameterizedTest
  @ValueSource(strings = {"close", "hook"})
  void aShortLivedProcessExportsAllItsSpansBeforeExiting(String mode) throws Exception {
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      Path log = Files.createTempFile("short-lived-job", ".log");
      Process process =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  ShortLivedJob.class.getName(),
                  receiver.endpoint(),
                  "300",
                  mode)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();

      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("job exited").isTrue();
      assertThat(process.exitValue()).as(Files.readString(log)).isZero();
      // Everything arrived before the process ended: no waiting here.
      assertThat(receiver.spans())
          .hasSize(300)
          .allSatisfy(s -> assertThat(s.name()).isEqualTo("job-step"));
      assertThat(receiver.spans().get(0).resource())
          .containsEntry("service.name", "short-lived-job");
      Files.deleteIfExists(log);
    }
  }
}
