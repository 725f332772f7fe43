package io.ktrdr.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;

/** A generated section of a Markdown page, between its start and end markers. */
final class PageSection {
  private PageSection() {}

  /** The start marker of the section called {@code name}. */
  static String start(String name) {
    return "<!-- " + name + ":start -->";
  }

  /** The end marker of the section called {@code name}. */
  static String end(String name) {
    return "<!-- " + name + ":end -->";
  }

  /**
   * Writes {@code block}, which starts and ends with the markers of {@code name}, into {@code
   * page}.
   */
  static void write(Path page, String name, String block) throws IOException {
    write(page, start(name), end(name), block);
  }

  /** A JMH figure; JMH writes "NaN" as a string when there is no error estimate (one iteration). */
  static double number(JsonNode node) {
    return node.isNumber() ? node.asDouble() : Double.NaN;
  }

  /**
   * Writes {@code block} (which begins with {@code start} and ends with {@code end}) into {@code
   * page}: in place of the section when the page has it, else appended.
   */
  static void write(Path page, String start, String end, String block) throws IOException {
    String text = Files.exists(page) ? Files.readString(page) : "";
    int from = text.indexOf(start);
    int to = text.indexOf(end);
    String updated =
        from >= 0 && to > from
            ? text.substring(0, from) + block + text.substring(to + end.length())
            : text + "\n" + block + "\n";
    Files.writeString(page, updated);
  }
}
