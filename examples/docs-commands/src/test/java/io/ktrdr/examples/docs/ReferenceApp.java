package io.ktrdr.examples.docs;

import io.ktrdr.telemetry.testing.Await;
import io.ktrdr.telemetry.testing.Http;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The reference app as the README runs it: {@code scripts/run.sh} (the API and both workers, and
 * Prometheus when installed), on the test's ports. Ready when the API's database is loaded and both
 * workers have registered.
 */
final class ReferenceApp {
  private static final Duration START = Duration.ofSeconds(120);

  private final Path root;
  private final DocPorts ports;
  private final Path log;
  private ProcessGroup running;
  private String runningFor;

  ReferenceApp(Path root, DocPorts ports, Path log) {
    this.root = root;
    this.ports = ports;
    this.log = log;
  }

  /**
   * Starts the app unless it already runs for {@code file}: each file's blocks share one app, and
   * each file starts from a fresh one, as its reader does (no operation of another file still
   * holding a worker).
   */
  void ensureRunningFor(String file) throws InterruptedException {
    if (running != null && running.isAlive() && file.equals(runningFor)) {
      return;
    }
    stop();
    runningFor = file;
    running = ProcessGroup.start(List.of("bash", "scripts/run.sh"), root, ports.environment(), log);
    String api = "http://127.0.0.1:" + ports.api();
    try {
      Await.until(
          "scripts/run.sh: the API ready and both workers registered",
          START,
          () -> {
            if (!running.isAlive()) {
              throw new AssertionError("scripts/run.sh ended before it was ready:\n" + logTail());
            }
            boolean ready =
                Http.tryGet(api + "/api/v1/health/ready")
                    .filter(response -> response.statusCode() == 200)
                    .isPresent();
            return ready
                && Http.tryGet(api + "/api/v1/workers")
                    .map(HttpResponse::body)
                    .filter(
                        body ->
                            body.contains(":" + ports.backtestWorker())
                                && body.contains(":" + ports.trainingWorker()))
                    .isPresent();
          });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n--- scripts/run.sh output ---\n" + logTail(), e);
    }
  }

  /** Fails, saying how to build it, when the app's jar is missing. */
  static void assertBuilt(Path root) {
    Path jar = root.resolve("ktrdr-app/target/ktrdr-app.jar");
    if (!Files.isRegularFile(jar)) {
      throw new AssertionError(
          jar
              + " is missing: the reference app's jar; build it with"
              + " ./mvnw -B -ntp package -DskipTests -pl ktrdr-app -am");
    }
  }

  void stop() throws InterruptedException {
    if (running != null) {
      running.stop();
      running = null;
    }
  }

  boolean isRunning() {
    return running != null && running.isAlive();
  }

  /** The last lines scripts/run.sh and the app printed. */
  String logTail() {
    try {
      if (!Files.exists(log)) {
        return "(no output)";
      }
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
