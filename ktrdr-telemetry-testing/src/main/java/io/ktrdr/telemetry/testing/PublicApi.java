package io.ktrdr.telemetry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.assertj.core.api.Assertions;

/**
 * The public API of a module, one line per public type and per public or protected member, sorted:
 * the listing {@code api.txt} of each module is committed, and a test compares it with the classes,
 * so that every change of the public API is deliberate (the diff shows it in review). Packages
 * named {@code internal} are not API. To accept a change: run the test with {@code
 * -Dapi.update=true} and commit the rewritten {@code api.txt}.
 */
public final class PublicApi {
  private PublicApi() {}

  /** The listing of the public types in the classes directory or jar that holds {@code anchor}. */
  public static List<String> of(Class<?> anchor) {
    Path root;
    try {
      root = Paths.get(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file :
          files
              .filter(p -> p.toString().endsWith(".class"))
              .sorted()
              .collect(Collectors.toList())) {
        String name =
            root.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
        if (name.contains(".internal.") || name.endsWith("package-info")) {
          continue;
        }
        Class<?> type = Class.forName(name, false, anchor.getClassLoader());
        if (!isApi(type)) {
          continue;
        }
        lines.add("type " + type.toGenericString());
        for (Constructor<?> c : type.getDeclaredConstructors()) {
          member(lines, type, c, c.toGenericString());
        }
        for (Method m : type.getDeclaredMethods()) {
          if (!m.isSynthetic() && !m.isBridge()) {
            member(lines, type, m, m.toGenericString());
          }
        }
        for (Field f : type.getDeclaredFields()) {
          if (!f.isSynthetic()) {
            member(lines, type, f, f.toGenericString());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
    return lines.stream().sorted().collect(Collectors.toList());
  }

  private static boolean isApi(Class<?> type) {
    for (Class<?> t = type; t != null; t = t.getEnclosingClass()) {
      if (!Modifier.isPublic(t.getModifiers()) || t.isAnonymousClass() || t.isLocalClass()) {
        return false;
      }
    }
    return true;
  }

  private static void member(List<String> lines, Class<?> type, Member member, String signature) {
    int modifiers = member.getModifiers();
    boolean visible =
        Modifier.isPublic(modifiers)
            || (Modifier.isProtected(modifiers) && !Modifier.isFinal(type.getModifiers()));
    if (visible) {
      lines.add("  " + type.getName() + " :: " + signature);
    }
  }

  /**
   * Compares the module's public API with its committed {@code api.txt} (or rewrites the file with
   * {@code -Dapi.update=true}), checks that no internal type appears in it and that it has at most
   * {@code maxTypes} public types.
   */
  public static void check(Class<?> anchor, Path listing, int maxTypes) throws IOException {
    List<String> actual = of(anchor);
    if (Boolean.getBoolean("api.update")) {
      Files.writeString(listing, String.join("\n", actual) + "\n", StandardCharsets.UTF_8);
    }
    Assertions.assertThat(actual)
        .as("public signatures must not mention internal types")
        .noneMatch(line -> line.contains(".internal."));
    Assertions.assertThat(actual.stream().filter(l -> l.startsWith("type ")).count())
        .as("public types")
        .isLessThanOrEqualTo(maxTypes);
    List<String> committed =
        Files.exists(listing) ? Files.readAllLines(listing, StandardCharsets.UTF_8) : List.of();
    Assertions.assertThat(actual)
        .as(
            "The public API differs from %s. If the change is deliberate, run the test with"
                + " -Dapi.update=true and commit the file.",
            listing)
        .containsExactlyElementsOf(committed);
  }
}
