package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The library uses OpenTelemetry's public API only: no class of its main code names a class of an
 * OpenTelemetry {@code internal} package (those change without notice, and a user who imports a
 * newer OpenTelemetry BOM would get {@code NoSuchMethodError} or {@code IllegalAccessError}), and
 * none opens members with {@code setAccessible}.
 */
class NoOpenTelemetryInternalsTest {
  /** A class name in a constant pool: {@code io/opentelemetry/.../internal/Name}. */
  private static final Pattern OTEL_INTERNAL =
      Pattern.compile("io/opentelemetry/(?:[A-Za-z0-9_$]+/)*internal/[A-Za-z0-9_$/]+");

  private static List<Path> mainClasses() throws Exception {
    Path root =
        Paths.get(KtrdrTelemetry.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(p -> p.toString().endsWith(".class")).collect(Collectors.toList());
    }
  }

  private static String pool(Path classFile) {
    try {
      return new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void thePatternFindsTheInternalClassesTheLibraryOnceUsed() {
    for (String used :
        List.of(
            "Lio/opentelemetry/sdk/autoconfigure/spi/internal/DefaultConfigProperties;",
            "io/opentelemetry/sdk/metrics/internal/data/ImmutableMetricData")) {
      assertThat(OTEL_INTERNAL.matcher(used).find()).as(used).isTrue();
    }
    assertThat(OTEL_INTERNAL.matcher("io/opentelemetry/sdk/metrics/data/MetricData").find())
        .isFalse();
    assertThat(OTEL_INTERNAL.matcher("io/ktrdr/telemetry/internal/scrape/ScrapeReader").find())
        .isFalse();
  }

  @Test
  void noMainClassNamesAnOpenTelemetryInternalClass() throws Exception {
    List<Path> classes = mainClasses();
    assertThat(classes).hasSizeGreaterThan(50);
    List<String> found = new ArrayList<>();
    for (Path file : classes) {
      Matcher matcher = OTEL_INTERNAL.matcher(pool(file));
      while (matcher.find()) {
        found.add(file.getFileName() + " -> " + matcher.group());
      }
    }
    assertThat(found).isEmpty();
  }

  @Test
  void noMainClassOpensMembersByReflection() throws Exception {
    List<Path> classes = mainClasses();
    assertThat(classes).isNotEmpty();
    assertThat(classes)
        .filteredOn(file -> pool(file).contains("setAccessible"))
        .map(Path::getFileName)
        .isEmpty();
  }
}
