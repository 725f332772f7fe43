package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists exactly the keys the code reads, so the reference cannot drift. */
class ConfigDocsTest {
  private static final Pattern KEY = Pattern.compile("`((?:KTRDR|OTEL)_[A-Z0-9_]+)\\*?`");

  /** The keys in the first column of the tables of one section ("## title" up to the next). */
  private static Set<String> keys(String title) throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
    int start = doc.indexOf("\n## " + title);
    assertThat(start).as("section " + title).isPositive();
    int end = doc.indexOf("\n## ", start + 1);
    Set<String> keys = new TreeSet<>();
    for (String line : doc.substring(start, end < 0 ? doc.length() : end).split("\n")) {
      if (!line.startsWith("| `")) {
        continue;
      }
      String firstColumn = line.substring(1, line.indexOf('|', 1));
      Matcher matcher = KEY.matcher(firstColumn);
      while (matcher.find()) {
        keys.add(matcher.group(1));
      }
    }
    return keys;
  }

  @Test
  void theLibraryKeysAreExactlyTheOnesTheCodeReads() throws Exception {
    assertThat(keys("Library keys"))
        .containsExactlyInAnyOrderElementsOf(EnvironmentLayer.KTRDR_KEYS);
  }

  @Test
  void theOpenTelemetryKeysAreExactlyTheOnesTheCodeHonours() throws Exception {
    Set<String> documented = keys("Standard OpenTelemetry keys");
    Set<String> expected = new TreeSet<>(EnvironmentLayer.OTEL_KEYS);
    for (String prefix : EnvironmentLayer.OTEL_PREFIXES) {
      expected.add(prefix);
    }
    // Documented individually, inside an honoured family.
    for (String key : documented) {
      if (!expected.contains(key)) {
        assertThat(EnvironmentLayer.honoured(key))
            .as(key + " is documented but not honoured")
            .isTrue();
      }
    }
    assertThat(documented).containsAll(expected);
  }
}
