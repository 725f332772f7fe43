package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package map of CONTRIBUTING.md is the rule the code follows: every package of the library is
 * on it, and a package imports only the library packages its line allows.
 */
class PackageMapTest {
  private static final String ROOT = "io.ktrdr.telemetry";
  private static final Pattern ROW =
      Pattern.compile("^\\| `(io\\.ktrdr\\.telemetry[\\w.]*)` \\|.*\\| (.*) \\|$");
  private static final Pattern ALLOWED = Pattern.compile("`([\\w.]+)`|\\broot\\b");
  private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
  private static final Pattern IMPORT =
      Pattern.compile(
          "^import (?:static )?(io\\.ktrdr\\.telemetry[\\w.]*?)\\.[A-Z]", Pattern.MULTILINE);

  @Test
  void everyPackageIsMappedAndUsesOnlyWhatItsLineAllows() throws IOException {
    Map<String, Set<String>> allowed = map();
    Map<String, Set<String>> actual = dependencies();

    assertThat(allowed.keySet())
        .as(
            "packages of CONTRIBUTING.md's map (ktrdr-telemetry/src/main/java has %s)",
            actual.keySet())
        .containsExactlyInAnyOrderElementsOf(actual.keySet());
    actual.forEach(
        (pkg, uses) ->
            assertThat(uses)
                .as(
                    "library packages %s imports (CONTRIBUTING.md allows %s)",
                    pkg, allowed.get(pkg))
                .isSubsetOf(allowed.get(pkg)));
  }

  @Test
  void theMapIsReadAsWritten() throws IOException {
    Map<String, Set<String>> allowed = map();
    assertThat(allowed.get(ROOT + ".config")).isEmpty();
    assertThat(allowed.get(ROOT + ".http")).contains(ROOT, ROOT + ".internal.http");
    assertThat(allowed.get(ROOT + ".javalin")).containsExactlyInAnyOrder(ROOT, ROOT + ".http");
    assertThat(allowed.get(ROOT))
        .doesNotContain(ROOT + ".javalin", ROOT + ".http")
        .contains(ROOT + ".tracing");
  }

  /** Package to the library packages it may use, from the table of CONTRIBUTING.md. */
  private static Map<String, Set<String>> map() throws IOException {
    Path contributing = Paths.get("..", "CONTRIBUTING.md");
    Map<String, Set<String>> all = new TreeMap<>();
    Set<String> packages = new TreeSet<>();
    Map<String, String> uses = new TreeMap<>();
    for (String line : Files.readAllLines(contributing, StandardCharsets.UTF_8)) {
      Matcher row = ROW.matcher(line);
      if (row.matches()) {
        packages.add(row.group(1));
        uses.put(row.group(1), row.group(2));
      }
    }
    uses.forEach(
        (pkg, text) -> {
          Set<String> allowed = new TreeSet<>();
          if (text.startsWith("every package below")) {
            boolean below = false;
            for (String other : uses.keySet()) {
              below |= other.startsWith(ROOT + ".");
              if (below && !text.contains("`" + other.substring(ROOT.length() + 1) + "`")) {
                allowed.add(other);
              }
            }
          } else {
            Matcher m = ALLOWED.matcher(text);
            while (m.find()) {
              allowed.add(m.group(1) == null ? ROOT : ROOT + "." + m.group(1));
            }
          }
          allowed.retainAll(packages);
          all.put(pkg, allowed);
        });
    return all;
  }

  /** Package to the other library packages its main sources import. */
  private static Map<String, Set<String>> dependencies() throws IOException {
    Map<String, Set<String>> deps = new TreeMap<>();
    try (Stream<Path> files = Files.walk(Paths.get("src", "main", "java"))) {
      for (Path file :
          files.filter(f -> f.toString().endsWith(".java")).collect(Collectors.toList())) {
        String source = Files.readString(file, StandardCharsets.UTF_8);
        Matcher pkg = PACKAGE.matcher(source);
        assertThat(pkg.find()).as("package line of %s", file).isTrue();
        Set<String> uses = deps.computeIfAbsent(pkg.group(1), k -> new TreeSet<>());
        Matcher imp = IMPORT.matcher(source);
        while (imp.find()) {
          if (!imp.group(1).equals(pkg.group(1))) {
            uses.add(imp.group(1));
          }
        }
      }
    }
    return deps;
  }
}
