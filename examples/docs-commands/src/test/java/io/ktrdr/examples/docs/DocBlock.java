package io.ktrdr.examples.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A fenced {@code bash} or {@code sh} block of a Markdown file, with the {@code doc-test} directive
 * written on the line just before its opening fence, if any:
 *
 * <pre>
 * &lt;!-- doc-test: skip needs the Docker stack --&gt;
 * &lt;!-- doc-test: http-errors-ok --&gt;
 * </pre>
 */
record DocBlock(
    String file, int line, String text, Optional<String> skipReason, boolean httpErrorsOk) {
  private static final Pattern FENCE = Pattern.compile("^```\\s*(\\w*)");
  private static final Pattern DIRECTIVE = Pattern.compile("^<!--\\s*doc-test:\\s*(.*?)\\s*-->$");

  /** Where the block is: {@code docs/verify.md:7}, the line of its opening fence. */
  String location() {
    return file + ":" + line;
  }

  /** Whether the block starts the reference app itself. */
  boolean startsTheApp() {
    return text.contains("scripts/run.sh");
  }

  /** README.md and every {@code docs/*.md}, in that order, files sorted by name. */
  static List<DocBlock> readAll(Path root) {
    List<DocBlock> blocks = new ArrayList<>();
    for (Path file : files(root)) {
      blocks.addAll(read(root, file));
    }
    return blocks;
  }

  /** The files the docs tests read: README.md, then every {@code docs/*.md} sorted by name. */
  static List<Path> files(Path root) {
    List<Path> files = new ArrayList<>();
    files.add(root.resolve("README.md"));
    try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
      docs.filter(path -> path.toString().endsWith(".md")).sorted().forEach(files::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }

  static List<DocBlock> read(Path root, Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file, e);
    }
    String name = root.relativize(file).toString();
    List<DocBlock> blocks = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      Matcher fence = FENCE.matcher(lines.get(i));
      if (!fence.find()) {
        continue;
      }
      int open = i;
      StringBuilder text = new StringBuilder();
      for (i = i + 1; i < lines.size() && !lines.get(i).startsWith("```"); i++) {
        text.append(lines.get(i)).append('\n');
      }
      String language = fence.group(1);
      if (!language.equals("bash") && !language.equals("sh")) {
        continue;
      }
      String directive = directiveBefore(lines, open);
      Optional<String> skip = Optional.empty();
      boolean httpErrorsOk = false;
      if (directive != null) {
        if (directive.startsWith("skip")) {
          String reason = directive.substring("skip".length()).strip();
          if (reason.isEmpty()) {
            throw new IllegalStateException(
                name + ":" + (open + 1) + ": '<!-- doc-test: skip -->' needs a reason after skip");
          }
          skip = Optional.of(reason);
        } else if (directive.equals("http-errors-ok")) {
          httpErrorsOk = true;
        } else {
          throw new IllegalStateException(
              name
                  + ":"
                  + (open + 1)
                  + ": unknown directive '"
                  + directive
                  + "' (expected 'skip REASON' or 'http-errors-ok')");
        }
      }
      blocks.add(new DocBlock(name, open + 1, text.toString(), skip, httpErrorsOk));
    }
    return blocks;
  }

  private static String directiveBefore(List<String> lines, int fence) {
    if (fence == 0) {
      return null;
    }
    Matcher directive = DIRECTIVE.matcher(lines.get(fence - 1).strip());
    return directive.matches() ? directive.group(1) : null;
  }
}
