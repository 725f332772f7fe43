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

/**
 * Javalin is optional: only the javalin package may refer to it or to Jetty, and only the servlet
 * classes to the servlet API. No logging backend at all: the core logs through slf4j-api and
 * registers no logback service.
 */
class CoreIndependenceTest {

  private static Path classes() throws Exception {
    return Paths.get(
        KtrdrTelemetry.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  private static List<Path> classesReferring(Path root, List<String> prefixes) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(p -> p.toString().endsWith(".class"))
          .filter(p -> constants(p).stream().anyMatch(c -> prefixes.stream().anyMatch(c::equals)))
          .collect(Collectors.toList());
    }
  }

  /** The package prefixes a class file's constant pool mentions (cheap: a byte scan). */
  private static List<String> constants(Path classFile) {
    try {
      String pool = new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1);
      return Stream.of(
              "io/javalin/",
              "org/eclipse/jetty/",
              "jakarta/servlet/",
              "ch/qos/logback/",
              "org/slf4j/bridge/",
              "net/logstash/")
          .filter(pool::contains)
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void onlyTheJavalinPackageReferencesJavalinOrJetty() throws Exception {
    Path root = classes().resolve("io/ktrdr/telemetry");
    List<String> javalin = List.of("io/javalin/", "org/eclipse/jetty/");
    assertThat(classesReferring(root, javalin))
        .isNotEmpty()
        .allSatisfy(
            p -> assertThat(root.relativize(p).startsWith("javalin")).as(p.toString()).isTrue());
    assertThat(classesReferring(root.resolve("javalin"), javalin)).isNotEmpty();
  }

  @Test
  void onlyTheServletClassesReferenceTheServletApi() throws Exception {
    // The JDK HttpServer filter and the core it shares with the servlet filter run without
    // jakarta.servlet-api on the classpath.
    Path root = classes().resolve("io/ktrdr/telemetry");
    assertThat(classesReferring(root, List.of("jakarta/servlet/")))
        .extracting(p -> root.relativize(p).toString())
        .isNotEmpty()
        .allMatch(
            p ->
                p.startsWith("javalin/")
                    || p.startsWith("http/ServletTelemetryFilter")
                    || p.equals("http/ServletAttributesGetter.class"),
            "in javalin/ or a servlet class of http/");
  }

  @Test
  void theCoreRefersToNoLoggingBackend() throws Exception {
    assertThat(
            classesReferring(
                classes(), List.of("ch/qos/logback/", "org/slf4j/bridge/", "net/logstash/")))
        .isEmpty();
    // The only services the core provides are OpenTelemetry autoconfigure plug-ins (the keyed
    // samplers): nothing a logging backend or another library would pick up by itself.
    Path services = classes().resolve("META-INF/services");
    if (Files.exists(services)) {
      try (Stream<Path> files = Files.list(services)) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .allMatch(name -> name.startsWith("io.opentelemetry.sdk.autoconfigure.spi."));
      }
    }
  }
}
