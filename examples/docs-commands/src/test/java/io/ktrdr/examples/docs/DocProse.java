package io.ktrdr.examples.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A paragraph of the prose of README.md or a {@code docs/*.md} file (a table row, a list item and a
 * line of text are parts of the paragraph they stand in; fenced blocks are not prose), and the
 * {@code `code spans`} it holds. A paragraph whose claims cannot be checked here is marked on the
 * line before it, as a shell block is:
 *
 * <pre>
 * &lt;!-- doc-test: claims-unchecked needs a Kubernetes cluster --&gt;
 * </pre>
 */
record DocProse(String file, int line, String text, boolean unchecked) {
  private static final Pattern CODE_SPAN = Pattern.compile("`([^`\\n]+)`");
  private static final Pattern UNCHECKED =
      Pattern.compile("^<!--\\s*doc-test:\\s*claims-unchecked\\s+\\S.*-->$");

  /** Where the paragraph starts: {@code docs/verify.md:12}. */
  String location() {
    return file + ":" + line;
  }

  /** The contents of its code spans, in order. */
  List<String> codeSpans() {
    List<String> spans = new ArrayList<>();
    Matcher span = CODE_SPAN.matcher(text);
    while (span.find()) {
      spans.add(span.group(1));
    }
    return spans;
  }

  /** README.md and every {@code docs/*.md}, the files sorted by name. */
  static List<DocProse> readAll(Path root) {
    List<DocProse> paragraphs = new ArrayList<>();
    for (Path file : DocBlock.files(root)) {
      paragraphs.addAll(read(root.relativize(file).toString(), read(file)));
    }
    return paragraphs;
  }

  /** The paragraphs of one file's lines. */
  static List<DocProse> read(String name, List<String> lines) {
    List<DocProse> paragraphs = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    int start = -1;
    boolean unchecked = false;
    boolean inFence = false;
    for (int i = 0; i <= lines.size(); i++) {
      String line = i < lines.size() ? lines.get(i) : "";
      if (line.startsWith("```")) {
        inFence = !inFence;
      }
      boolean boundary = inFence || line.startsWith("```") || line.isBlank() || isComment(line);
      if (boundary) {
        if (start >= 0) {
          paragraphs.add(new DocProse(name, start + 1, text.toString(), unchecked));
          text.setLength(0);
          start = -1;
          unchecked = false;
        }
        if (!inFence && UNCHECKED.matcher(line.strip()).matches()) {
          unchecked = true;
        }
        continue;
      }
      if (start < 0) {
        start = i;
      }
      text.append(line).append('\n');
    }
    return paragraphs;
  }

  private static boolean isComment(String line) {
    return line.strip().startsWith("<!--") && line.strip().endsWith("-->");
  }

  private static List<String> read(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file, e);
    }
  }
}
