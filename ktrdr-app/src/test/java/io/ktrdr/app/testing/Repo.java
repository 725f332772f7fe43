package io.ktrdr.app.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** Files of the repository (the stack's configuration), for tests that read them. */
public final class Repo {
  private static final YAMLMapper YAML = YAMLMapper.builder().build();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Repo() {}

  /** The repository root: the first parent of the working directory with compose.yaml. */
  public static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      if (Files.exists(dir.resolve("compose.yaml")) && Files.exists(dir.resolve("pom.xml"))) {
        return dir;
      }
      dir = dir.getParent();
    }
    throw new AssertionError(
        "repository root (with compose.yaml) not found above " + Path.of("").toAbsolutePath());
  }

  public static Path path(String relative) {
    return root().resolve(relative);
  }

  public static JsonNode yaml(String relative) {
    return YAML.readTree(path(relative).toFile());
  }

  public static JsonNode json(Path file) {
    return JSON.readTree(file.toFile());
  }

  public static String text(String relative) {
    try {
      return Files.readString(path(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<Path> files(String directory, String suffix) {
    try (Stream<Path> files = Files.list(path(directory))) {
      return files.filter(p -> p.toString().endsWith(suffix)).sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
