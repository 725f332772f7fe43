package io.ktrdr.examples.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A command started in a session of its own ({@code setsid}), so that everything it starts in the
 * background (servers a doc block or scripts/run.sh launches) can be stopped with it, as one
 * process group.
 */
final class ProcessGroup {
  private final Process process;

  private ProcessGroup(Process process) {
    this.process = process;
  }

  static ProcessGroup start(
      List<String> command, Path directory, Map<String, String> environment, Path output) {
    List<String> full = new ArrayList<>();
    full.add("setsid");
    full.addAll(command);
    ProcessBuilder builder =
        new ProcessBuilder(full)
            .directory(directory.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    builder
        .environment()
        .keySet()
        .removeIf(key -> key.startsWith("OTEL_") || key.startsWith("KTRDR_"));
    builder.environment().putAll(environment);
    try {
      return new ProcessGroup(builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + command + " (is setsid installed?)", e);
    }
  }

  /** The leader's exit code, or empty when it is still running after {@code timeout}. */
  Optional<Integer> awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
        ? Optional.of(process.exitValue())
        : Optional.empty();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Stops every process of the group: SIGTERM, then SIGKILL to what is left after 10 s. */
  void stop() throws InterruptedException {
    String group = "-" + process.pid();
    signal("-TERM", group);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (groupExists(group) && System.nanoTime() - end < 0) {
      Thread.sleep(100);
    }
    if (groupExists(group)) {
      signal("-KILL", group);
    }
    process.waitFor(5, TimeUnit.SECONDS);
  }

  private static boolean groupExists(String group) throws InterruptedException {
    return signal("-0", group) == 0;
  }

  private static int signal(String signal, String group) throws InterruptedException {
    try {
      Process kill =
          new ProcessBuilder("kill", signal, "--", group)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return kill.waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
