package io.ktrdr.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;

/**
 * A generated section of docs/performance.md: the block between {@code <!-- NAME:start -->} and
 * {@code <!-- NAME:end -->}, replaced when present and appended otherwise.
 */
final class MarkdownSection {
  private MarkdownSection() {}

  static String start(String name) {
    return "<!-- " + name + ":start -->";
  }

  static String end(String name) {
    return "<!-- " + name + ":end -->";
  }

  /**
   * Writes {@code block} (which starts and ends with the markers of {@code name}) into {@code
   * page}.
   */
  static void write(Path page, String name, String block) throws IOException {
    String text = Files.exists(page) ? Files.readString(page) : "";
    int start = text.indexOf(start(name));
    int end = text.indexOf(end(name));
    String updated =
        start >= 0 && end > start
            ? text.substring(0, start) + block + text.substring(end + end(name).length())
            : text + "\n" + block + "\n";
    Files.writeString(page, updated);
  }

  /** A JMH figure; JMH writes "NaN" as a string when there is no error estimate (one iteration). */
  static double number(JsonNode node) {
    return node.isNumber() ? node.asDouble() : Double.NaN;
  }
}
