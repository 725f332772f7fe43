package io.ktrdr.app.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged app ({@code ktrdr-app/target/ktrdr-app.jar}) as a separate JVM process. */
public final class AppProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;

  private AppProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** The cluster secret the harness gives every process that does not set its own. */
  public static final String TEST_CLUSTER_SECRET = "test-cluster-secret-0123456789abcdef0123";

  /**
   * Starts the jar with {@code env} added to this JVM's environment; output goes to a file. The
   * test cluster secret is added unless {@code env} sets one ({@code KTRDR_CLUSTER_SECRET} or
   * {@code KTRDR_CLUSTER_SECRET_FILE}), so that the API and workers started here trust each other.
   */
  public static AppProcess start(String name, Map<String, String> env, Path directory) {
    return start(name, env, directory, List.of());
  }

  /** As {@link #start(String, Map, Path)}, with command-line arguments for the jar. */
  public static AppProcess start(
      String name, Map<String, String> env, Path directory, List<String> args) {
    // -Dktrdr.test.app.jar=<path> runs the same tests against another build (an older commit's).
    String override = System.getProperty("ktrdr.test.app.jar");
    Path jar = override == null ? Repo.path("ktrdr-app/target/ktrdr-app.jar") : Path.of(override);
    if (!Files.exists(jar)) {
      throw new AssertionError("run 'mvn package' first: " + jar + " is missing");
    }
    try {
      Path log = directory.resolve(name + ".log");
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx256m");
      command.add("-jar");
      command.add(jar.toString());
      command.addAll(args);
      ProcessBuilder builder =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().putAll(withSecret(env));
      return new AppProcess(name, builder.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code env} plus the test cluster secret when it sets none. */
  public static Map<String, String> withSecret(Map<String, String> env) {
    Map<String, String> result = new java.util.HashMap<>(env);
    if (!env.containsKey("KTRDR_CLUSTER_SECRET") && !env.containsKey("KTRDR_CLUSTER_SECRET_FILE")) {
      result.put("KTRDR_CLUSTER_SECRET", TEST_CLUSTER_SECRET);
    }
    return result;
  }

  /** The process id (to send signals). */
  public long pid() {
    return process.pid();
  }

  /** Waits for the process to end; its exit status, or -1 if it did not end in time. */
  public int waitFor(java.time.Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  public String name() {
    return name;
  }

  /** Kills the process at once, as a crash would. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
