package io.ktrdr.examples.readme;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The quick start section of README.md, as the fenced blocks and prose it is made of. */
record Readme(
    List<String> xmlBlocks, List<String> javaBlocks, List<String> shellBlocks, String prose) {
  static final String SECTION = "## Quick start";

  /** Reads the section that starts with {@link #SECTION} and ends at the next {@code ## }. */
  static Readme quickStart(Path readme) {
    List<String> lines;
    try {
      lines = Files.readAllLines(readme);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + readme, e);
    }
    int start = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(SECTION)) {
        start = i + 1;
        break;
      }
    }
    if (start < 0) {
      throw new AssertionError(readme + " has no section starting with '" + SECTION + "'");
    }
    List<String> xml = new ArrayList<>();
    List<String> java = new ArrayList<>();
    List<String> shell = new ArrayList<>();
    StringBuilder prose = new StringBuilder();
    StringBuilder block = null;
    String language = null;
    for (int i = start; i < lines.size(); i++) {
      String line = lines.get(i);
      if (block == null && line.startsWith("## ")) {
        break;
      }
      if (line.startsWith("```")) {
        if (block == null) {
          block = new StringBuilder();
          language = line.substring(3).strip();
        } else {
          if (language.equals("xml")) {
            xml.add(block.toString());
          } else if (language.equals("java")) {
            java.add(block.toString());
          } else if (language.equals("bash") || language.equals("sh")) {
            shell.add(block.toString());
          }
          block = null;
        }
      } else if (block != null) {
        block.append(line).append('\n');
      } else {
        prose.append(line).append('\n');
      }
    }
    return new Readme(List.copyOf(xml), List.copyOf(java), List.copyOf(shell), prose.toString());
  }
}
