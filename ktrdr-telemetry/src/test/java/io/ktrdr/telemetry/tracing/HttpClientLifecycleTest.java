package io.ktrdr.telemetry.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * JDK 21 made {@link HttpClient} {@code AutoCloseable} with {@code shutdown()} and friends; the
 * traced client forwards them to the client it wraps. The library is built for 17, so the JDK 21+
 * behaviour is checked in a child JVM on a newer JDK: the one in {@code KTRDR_TEST_JDK}, else the
 * newest under {@code /usr/lib/jvm} whose {@code release} file says 21 or later.
 */
class HttpClientLifecycleTest {

  /** Run by the child JVM: closes the traced client as {@code try (client)} does. */
  public static final class Child {
    private Child() {}

    public static void main(String[] args) throws Exception {
      HttpClient delegate = HttpClient.newHttpClient();
      HttpClient traced = TracingHttpClient.wrap(delegate, OpenTelemetry.noop());
      // try (traced) {} on 21+: compiled for 17, where HttpClient is not AutoCloseable.
      ((AutoCloseable) (Object) traced).close();
      System.out.println(
          "delegate terminated="
              + HttpClient.class.getMethod("isTerminated").invoke(delegate)
              + " traced terminated="
              + HttpClient.class.getMethod("isTerminated").invoke(traced));

      HttpClient second = HttpClient.newHttpClient();
      HttpClient tracedSecond = TracingHttpClient.wrap(second, OpenTelemetry.noop());
      HttpClient.class.getMethod("shutdownNow").invoke(tracedSecond);
      boolean awaited =
          (boolean)
              HttpClient.class
                  .getMethod("awaitTermination", Duration.class)
                  .invoke(tracedSecond, Duration.ofSeconds(30));
      System.out.println(
          "shutdownNow awaited="
              + awaited
              + " delegate terminated="
              + HttpClient.class.getMethod("isTerminated").invoke(second));
    }
  }

  private static int feature(Path jdk) {
    try {
      for (String line : Files.readAllLines(jdk.resolve("release"))) {
        if (line.startsWith("JAVA_VERSION=")) {
          String version = line.substring("JAVA_VERSION=".length()).replace("\"", "");
          return Integer.parseInt(version.split("[.+-]")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return 0;
  }

  private static Optional<Path> jdk21OrLater() throws IOException {
    String configured = System.getenv("KTRDR_TEST_JDK");
    if (configured != null && !configured.isBlank()) {
      return Optional.of(Path.of(configured));
    }
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return Optional.empty();
    }
    try (Stream<Path> candidates = Files.list(jvms)) {
      return candidates
          .filter(jdk -> Files.isExecutable(jdk.resolve("bin/java")) && feature(jdk) >= 21)
          .max(Comparator.comparingInt(HttpClientLifecycleTest::feature));
    }
  }

  @Test
  void closeAndShutdownReachTheWrappedClientOnJdk21AndLater() throws Exception {
    Optional<Path> jdk = jdk21OrLater();
    assertThat(jdk)
        .as(
            "a JDK 21 or later: the project's machines carry Temurin's under /usr/lib/jvm (the"
                + " default java is 17); elsewhere set KTRDR_TEST_JDK to a JDK 21+ home")
        .isPresent();
    Process process =
        new ProcessBuilder(
                jdk.get().resolve("bin/java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Child.class.getName())
            .redirectErrorStream(true)
            .start();
    List<String> output = new ArrayList<>();
    try (InputStream in = process.getInputStream()) {
      output.addAll(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
    }
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("child exited: %s", output).isTrue();
    assertThat(process.exitValue()).as(String.join("\n", output)).isZero();
    assertThat(output)
        .contains(
            "delegate terminated=true traced terminated=true",
            "shutdownNow awaited=true delegate terminated=true");
  }

  @Test
  void onTheBuildJdkTheLifecycleMethodsAreHarmless() throws Exception {
    HttpClient delegate = HttpClient.newHttpClient();
    TracingHttpClient traced =
        (TracingHttpClient) TracingHttpClient.wrap(delegate, OpenTelemetry.noop());
    traced.shutdown();
    traced.close();
    boolean terminated = traced.awaitTermination(Duration.ofSeconds(10));
    assertThat(traced.isTerminated()).isEqualTo(terminated);
    assertThat(terminated).isEqualTo(Runtime.version().feature() >= 21);
  }
}
