package io.ktrdr.examples.support;

import io.ktrdr.telemetry.testing.Await;
import io.ktrdr.telemetry.testing.Http;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An example application running in its own JVM, on exactly its runtime classpath (its classes and
 * {@code target/runtime-classpath.txt}, which the build writes): what a user's process would have,
 * without the test's JUnit or AssertJ. Output (stdout and stderr, merged) is kept line by line.
 *
 * <pre>{@code
 * try (ExampleProcess app = ExampleProcess.start("io.example.Main", Map.of("PORT", "0"))) {
 *   String port = app.awaitLine(Pattern.compile("listening on port (\\d+)"), TIMEOUT).group(1);
 * }
 * }</pre>
 */
public final class ExampleProcess implements AutoCloseable {
  private static final Pattern JAVA_THREAD = Pattern.compile("^\"[^\"]*\" #\\d+ ");

  private final Process process;
  private final String mainClass;
  private final List<String> lines = new ArrayList<>();
  private final Thread reader;

  private ExampleProcess(Process process, String mainClass) {
    this.process = process;
    this.mainClass = mainClass;
    this.reader = new Thread(this::readOutput, "output of " + mainClass);
    this.reader.setDaemon(true);
    this.reader.start();
  }

  /** The example's runtime classpath: its classes first, then its runtime dependencies. */
  public static String runtimeClasspath() {
    String classes = requiredProperty("example.classes");
    Path file = Path.of(requiredProperty("example.runtimeClasspath"));
    try {
      String dependencies = Files.readString(file).strip();
      return dependencies.isEmpty() ? classes : classes + java.io.File.pathSeparator + dependencies;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read "
              + file
              + " (written by maven-dependency-plugin at generate-test-resources)",
          e);
    }
  }

  /** The runtime classpath's entries, one path each. */
  public static List<String> runtimeClasspathEntries() {
    return List.of(runtimeClasspath().split(java.io.File.pathSeparator));
  }

  /** Starts {@code mainClass} on the example's runtime classpath with extra environment. */
  public static ExampleProcess start(String mainClass, Map<String, String> environment) {
    return start(runtimeClasspath(), mainClass, environment);
  }

  /** Starts {@code mainClass} on {@code classpath} with extra environment, java from this JVM. */
  public static ExampleProcess start(
      String classpath, String mainClass, Map<String, String> environment) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder(java, "-Xmx256m", "-cp", classpath, mainClass).redirectErrorStream(true);
    // Nothing of the test's own environment steers the example's telemetry.
    builder
        .environment()
        .keySet()
        .removeIf(key -> key.startsWith("OTEL_") || key.startsWith("KTRDR_"));
    builder.environment().putAll(environment);
    try {
      return new ExampleProcess(builder.start(), mainClass);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + mainClass, e);
    }
  }

  /**
   * Gives a child process the test's environment without its {@code OTEL_*} and {@code KTRDR_*}
   * variables (nothing of the test's own environment steers the example's telemetry), plus {@code
   * environment}.
   */
  public static void setEnvironment(ProcessBuilder builder, Map<String, String> environment) {
    builder
        .environment()
        .keySet()
        .removeIf(key -> key.startsWith("OTEL_") || key.startsWith("KTRDR_"));
    builder.environment().putAll(environment);
  }

  private void readOutput() {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        synchronized (lines) {
          lines.add(line);
        }
      }
    } catch (IOException e) {
      // The process ended; what was read is kept.
    }
  }

  /** The process's output so far. */
  public List<String> output() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  /** The process's complete output, once it has exited. */
  public List<String> finalOutput() {
    try {
      reader.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return output();
  }

  /** Waits for an output line that contains a match of {@code pattern}, and returns the match. */
  public Matcher awaitLine(Pattern pattern, Duration timeout) {
    return Await.value(
            "a line matching /" + pattern + "/ from " + mainClass + describe(),
            timeout,
            () -> {
              for (String line : output()) {
                Matcher matcher = pattern.matcher(line);
                if (matcher.find()) {
                  return Optional.of(matcher);
                }
              }
              if (!process.isAlive()) {
                throw new AssertionError(
                    mainClass
                        + " exited with "
                        + process.exitValue()
                        + " before printing /"
                        + pattern
                        + "/"
                        + describe());
              }
              return Optional.<Matcher>empty();
            },
            Optional::isPresent)
        .get();
  }

  /**
   * Waits until {@code GET url} answers 200; fails at once, with the process's output, if the
   * process ends first.
   */
  public void awaitHttpOk(String url, Duration timeout) {
    Await.until(
        "GET " + url + " to answer 200" + describe(),
        timeout,
        () -> {
          if (!process.isAlive()) {
            throw new AssertionError(
                mainClass
                    + " exited with "
                    + process.exitValue()
                    + " before "
                    + url
                    + " answered"
                    + describe());
          }
          return Http.tryGet(url).filter(response -> response.statusCode() == 200).isPresent();
        });
  }

  /** The process's standard input, for examples that read work from it. */
  public OutputStream stdin() {
    return process.getOutputStream();
  }

  /** Whether the process is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Waits for the process to exit by itself and returns its exit code.
   *
   * @throws AssertionError with the live threads of the process (a thread dump) when it has not
   *     exited within {@code timeout}
   */
  public int awaitExit(Duration timeout) {
    try {
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return process.exitValue();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted while waiting for " + mainClass + " to exit", e);
    }
    throw new AssertionError(
        mainClass
            + " did not exit within "
            + timeout.toMillis()
            + " ms. Threads that keep it alive (non-daemon, from jcmd Thread.print):\n"
            + nonDaemonThreads()
            + describe());
  }

  /** The names of the process's non-daemon threads, from a {@code jcmd} thread dump. */
  public String nonDaemonThreads() {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process dump =
          new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "Thread.print")
              .redirectErrorStream(true)
              .start();
      String text = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      dump.waitFor(10, TimeUnit.SECONDS);
      StringBuilder result = new StringBuilder();
      for (String line : text.split("\n")) {
        // Java threads' header lines: "name" #id [daemon] prio=... ; daemon threads say so.
        if (JAVA_THREAD.matcher(line).find()
            && !line.contains(" daemon ")
            && !line.startsWith("\"DestroyJavaVM\"")) {
          result.append("  ").append(line).append('\n');
        }
      }
      return result.toString();
    } catch (IOException e) {
      return "  (no thread dump: " + e + ")\n";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "  (interrupted)\n";
    }
  }

  private String describe() {
    List<String> output = output();
    int from = Math.max(0, output.size() - 40);
    return "\n--- last output of "
        + mainClass
        + " ---\n"
        + String.join("\n", output.subList(from, output.size()));
  }

  /** Asks the process to stop (SIGTERM, so shutdown hooks run), then kills it after 10 s. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private static String requiredProperty(String name) {
    String value = System.getProperty(name);
    if (value == null) {
      throw new IllegalStateException(
          "System property " + name + " is not set: run the example's tests through Maven");
    }
    return value;
  }
}
