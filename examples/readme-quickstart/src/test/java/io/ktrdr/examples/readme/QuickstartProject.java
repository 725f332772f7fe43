package io.ktrdr.examples.readme;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A new Maven project made of the README's blocks, as a user would paste them: the XML block is its
 * whole {@code pom.xml}, the Java block its source file, nothing added. Built with the same Maven
 * and local repository as this build, with the README's own build command.
 */
final class QuickstartProject {
  private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+);");
  private static final Pattern CLASS =
      Pattern.compile("(?m)^public\\s+(?:final\\s+)?class\\s+(\\w+)");
  private static final long BUILD_TIMEOUT_SECONDS = 300;

  private final Path directory;
  private final String mainClass;

  private QuickstartProject(Path directory, String mainClass) {
    this.directory = directory;
    this.mainClass = mainClass;
  }

  /** Writes the project into {@code directory}, replacing what an earlier run left there. */
  static QuickstartProject write(Path directory, String pom, String javaSource) throws IOException {
    Matcher type = CLASS.matcher(javaSource);
    if (!type.find()) {
      throw new AssertionError("The README's Java block declares no public class:\n" + javaSource);
    }
    Matcher pkg = PACKAGE.matcher(javaSource);
    String packageName = pkg.find() ? pkg.group(1) : "";
    String mainClass = packageName.isEmpty() ? type.group(1) : packageName + "." + type.group(1);

    deleteRecursively(directory);
    Path sources = directory.resolve("src/main/java").resolve(packageName.replace('.', '/'));
    Files.createDirectories(sources);
    Files.writeString(sources.resolve(type.group(1) + ".java"), javaSource);
    Files.writeString(directory.resolve("pom.xml"), pom);
    return new QuickstartProject(directory, mainClass);
  }

  String mainClass() {
    return mainClass;
  }

  /**
   * Runs {@code mvn goals} in the project and returns {@code jar}, resolved in the project, after
   * checking that its manifest starts {@link #mainClass()} (what {@code java -jar} runs).
   *
   * @throws AssertionError with Maven's output when the build fails
   */
  Path build(List<String> goals, String jar) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("quickstart.maven"));
    command.addAll(List.of("-B", "-ntp"));
    command.add("-Dmaven.repo.local=" + System.getProperty("quickstart.localRepository"));
    String tail = System.getProperty("quickstart.localRepositoryTail", "");
    if (!tail.isBlank() && !tail.startsWith("${")) {
      command.add("-Dmaven.repo.local.tail=" + tail);
    }
    command.addAll(goals);
    Path log = directory.resolve("build.log");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(directory.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    // A short build: the JIT's first tier starts Maven faster than full optimisation would.
    builder.environment().put("MAVEN_OPTS", "-XX:TieredStopAtLevel=1");
    Process maven = builder.start();
    if (!maven.waitFor(BUILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      maven.destroyForcibly();
      throw new AssertionError("Building the README's quick start took over 300 s; see " + log);
    }
    if (maven.exitValue() != 0) {
      throw new AssertionError(
          "The README's quick start does not build as written (`"
              + String.join(" ", command)
              + "`, exit "
              + maven.exitValue()
              + "):\n"
              + Files.readString(log, StandardCharsets.UTF_8));
    }
    Path built = directory.resolve(jar);
    if (!Files.isRegularFile(built)) {
      throw new AssertionError("The README's build made no " + jar + "; see " + log);
    }
    try (JarFile file = new JarFile(built.toFile())) {
      String main =
          file.getManifest() == null
              ? null
              : file.getManifest().getMainAttributes().getValue("Main-Class");
      if (!mainClass.equals(main)) {
        throw new AssertionError(
            "java -jar " + jar + " would start " + main + ", not the README's " + mainClass);
      }
    }
    return built;
  }

  private static void deleteRecursively(Path directory) throws IOException {
    if (!Files.exists(directory)) {
      return;
    }
    try (var paths = Files.walk(directory)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
