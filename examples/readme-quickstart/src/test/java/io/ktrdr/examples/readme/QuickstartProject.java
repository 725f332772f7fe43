package io.ktrdr.examples.readme;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A new Maven project made of the README's blocks, as a user would paste them: the XML blocks go
 * into a bare {@code pom.xml} (coordinates, Java release and pinned build plugins only), the Java
 * block into its source file. Built with the same Maven and local repository as this build.
 */
final class QuickstartProject {
  private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+);");
  private static final Pattern CLASS =
      Pattern.compile("(?m)^public\\s+(?:final\\s+)?class\\s+(\\w+)");
  private static final long BUILD_TIMEOUT_SECONDS = 300;

  private static final String POM_HEAD =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <project xmlns="http://maven.apache.org/POM/4.0.0"
               xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
               xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
        <modelVersion>4.0.0</modelVersion>
        <groupId>readme</groupId>
        <artifactId>quickstart</artifactId>
        <version>1</version>
        <properties>
          <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
          <maven.compiler.release>17</maven.compiler.release>
        </properties>
      """;
  private static final String POM_TAIL =
      """
        <build>
          <pluginManagement>
            <plugins>
              <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-clean-plugin</artifactId><version>3.4.1</version></plugin>
              <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
              <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.14.0</version></plugin>
              <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><version>3.5.4</version></plugin>
              <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version></plugin>
              <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version></plugin>
            </plugins>
          </pluginManagement>
        </build>
      </project>
      """;

  private final Path directory;
  private final String mainClass;

  private QuickstartProject(Path directory, String mainClass) {
    this.directory = directory;
    this.mainClass = mainClass;
  }

  /** Writes the project into {@code directory}, replacing what an earlier run left there. */
  static QuickstartProject write(Path directory, List<String> xmlBlocks, String javaSource)
      throws IOException {
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
    StringBuilder pom = new StringBuilder(POM_HEAD);
    xmlBlocks.forEach(block -> pom.append('\n').append(block));
    pom.append('\n').append(POM_TAIL);
    Files.writeString(directory.resolve("pom.xml"), pom);
    return new QuickstartProject(directory, mainClass);
  }

  String mainClass() {
    return mainClass;
  }

  /**
   * Compiles the project with {@code mvn package} and returns its runtime classpath.
   *
   * @throws AssertionError with Maven's output when the build fails
   */
  String build() throws IOException, InterruptedException {
    Path classpathFile = directory.resolve("target/runtime-classpath.txt");
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("quickstart.maven"));
    command.addAll(List.of("-B", "-ntp", "-f", directory.resolve("pom.xml").toString()));
    command.add("-Dmaven.repo.local=" + System.getProperty("quickstart.localRepository"));
    String tail = System.getProperty("quickstart.localRepositoryTail", "");
    if (!tail.isBlank() && !tail.startsWith("${")) {
      command.add("-Dmaven.repo.local.tail=" + tail);
    }
    command.addAll(
        List.of(
            "-DskipTests",
            "package",
            "dependency:build-classpath",
            "-Dmdep.includeScope=runtime",
            "-Dmdep.outputFile=" + classpathFile));
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
    return directory.resolve("target/classes")
        + File.pathSeparator
        + Files.readString(classpathFile).strip();
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
