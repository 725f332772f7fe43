package io.ktrdr.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A generated section of a Markdown page, between its start and end markers. */
final class PageSection {
  private PageSection() {}

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
