package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Javalin is optional: only the javalin package may refer to it or to Jetty. */
class CoreIndependenceTest {

  @Test
  void onlyTheJavalinPackageReferencesJavalinOrJetty() throws Exception {
    Path classes =
        Paths.get(KtrdrTelemetry.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path root = classes.resolve("io/ktrdr/telemetry");
    List<Path> offenders;
    try (Stream<Path> files = Files.walk(root)) {
      offenders =
          files
              .filter(p -> p.toString().endsWith(".class"))
              .filter(p -> !root.relativize(p).startsWith("javalin"))
              .filter(CoreIndependenceTest::refersToServerFrameworks)
              .collect(Collectors.toList());
    }
    assertThat(offenders).isEmpty();
    try (Stream<Path> files = Files.walk(root.resolve("javalin"))) {
      assertThat(
              files
                  .filter(p -> p.toString().endsWith(".class"))
                  .filter(CoreIndependenceTest::refersToServerFrameworks)
                  .count())
          .isPositive();
    }
  }

  private static boolean refersToServerFrameworks(Path classFile) {
    try {
      String constants = new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1);
      return constants.contains("io/javalin/")
          || constants.contains("org/eclipse/jetty/")
          || constants.contains("jakarta/servlet/");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
