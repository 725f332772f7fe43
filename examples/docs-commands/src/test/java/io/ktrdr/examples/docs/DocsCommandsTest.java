package io.ktrdr.examples.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every {@code bash}/{@code sh} block of README.md and docs/*.md, one test per block named
 * after its file and line, against the reference app that scripts/run.sh starts. The convention
 * (what runs, what is substituted, how a block is skipped) is in CONTRIBUTING.md.
 */
class DocsCommandsTest {
  private static final Duration BLOCK_TIMEOUT = Duration.ofSeconds(90);
  private static final Pattern FAILED = Pattern.compile("doc-test: exit (\\d+) from: (.*)");

  /**
   * Prepended to each block: stop at the first failing command and name it; curl fails on an HTTP
   * error status as with --fail-with-body (unless the block says http-errors-ok, or asks for --fail
   * itself), and names itself with its arguments when it does.
   */
  private static final String PRELUDE =
      """
      set -e
      trap 'echo "doc-test: exit $? from: ${doc_test_failed:-$BASH_COMMAND}" >&2' ERR
      """;

  private static final String STRICT_CURL =
      """
      curl() {
        local arg status
        for arg in "$@"; do
          case "$arg" in --fail|--fail-with-body|-[!-]*f*) command curl "$@"; return;; esac
        done
        command curl --fail-with-body "$@" && return 0
        status=$?
        doc_test_failed="curl $*"
        return $status
      }
      """;

  private static final Path ROOT =
      Path.of(System.getProperty("repository.root")).toAbsolutePath().normalize();
  private static final Path WORK = Path.of(System.getProperty("docs.workDirectory"));
  private static final DocPorts PORTS = DocPorts.free();
  private static final ReferenceApp APP = new ReferenceApp(ROOT, PORTS, WORK.resolve("run.sh.log"));

  @TestFactory
  Stream<DynamicTest> everyShellBlockInTheDocsWorks() throws IOException {
    ReferenceApp.assertBuilt(ROOT);
    Files.createDirectories(WORK);
    List<DocBlock> blocks = DocBlock.readAll(ROOT);
    assertThat(blocks).as("shell blocks in README.md and docs/").isNotEmpty();
    return blocks.stream()
        .map(block -> DynamicTest.dynamicTest(block.location(), () -> run(block)));
  }

  @AfterAll
  static void stopTheApp() throws InterruptedException {
    APP.stop();
  }

  private static void run(DocBlock block) throws IOException, InterruptedException {
    Optional<String> skip = block.skipReason();
    Assumptions.assumeTrue(
        skip.isEmpty(), () -> "skipped by its doc-test directive: " + skip.get());
    if (block.startsTheApp()) {
      APP.stop(); // the block starts its own, on the same ports
    } else {
      APP.ensureRunningFor(block.file());
    }
    String script =
        PRELUDE + (block.httpErrorsOk() ? "" : STRICT_CURL) + PORTS.substitute(block.text());
    String name = block.location().replaceAll("[^A-Za-z0-9.]", "_");
    Path scriptFile = WORK.resolve(name + ".sh");
    Path output = WORK.resolve(name + ".out");
    Files.writeString(scriptFile, script);

    ProcessGroup shell =
        ProcessGroup.start(
            List.of("bash", scriptFile.toString()), ROOT, PORTS.environment(), output);
    Optional<Integer> exit;
    try {
      exit = shell.awaitExit(BLOCK_TIMEOUT);
    } finally {
      shell.stop(); // whatever the block left running in the background
    }
    if (exit.isPresent() && exit.get() == 0) {
      return;
    }
    String printed = Files.readString(output);
    String what;
    if (exit.isEmpty()) {
      what = "did not finish within " + BLOCK_TIMEOUT.toSeconds() + " s";
    } else {
      Matcher failed = FAILED.matcher(printed);
      String command = null;
      String status = Integer.toString(exit.get());
      while (failed.find()) {
        status = failed.group(1);
        command = failed.group(2);
      }
      what =
          command == null
              ? "exited with " + status
              : "failed: `" + command + "` exited with " + status;
    }
    String ports = PORTS.describe(); // the test's app, if any, still runs here
    throw new AssertionError(
        block.location()
            + " "
            + what
            + "\n"
            + ports
            + "\n--- the block as run (ports substituted), from "
            + scriptFile
            + " ---\n"
            + PORTS.substitute(block.text())
            + "--- its output ---\n"
            + tail(printed)
            + (APP.isRunning() ? "\n--- scripts/run.sh output ---\n" + APP.logTail() : ""));
  }

  private static String tail(String text) {
    List<String> lines = text.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
