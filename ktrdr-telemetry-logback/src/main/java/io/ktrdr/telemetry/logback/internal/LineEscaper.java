package io.ktrdr.telemetry.logback.internal;

/**
 * Keeps one log event on one line of the text format, and its key-value pairs unforgeable: every
 * line break (CR, LF, NEL U+0085, LINE SEPARATOR U+2028, PARAGRAPH SEPARATOR U+2029) and every
 * other control character becomes a visible escape ({@code \n}, {@code \r}, {@code \t}, {@code
 * \u2028}); in a quoted value, quotes and backslashes are escaped too ({@code \"}, {@code \\}), so
 * a value cannot close its quotes and start a pair of its own.
 */
final class LineEscaper {
  /** Lower-case hex digits, for {@code \\uXXXX} without a {@code String.format} per character. */
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private LineEscaper() {}

  /** {@code text} with line breaks and control characters escaped; the same string when clean. */
  static String escapeText(String text) {
    return escape(text, false);
  }

  /** {@code text} for the inside of a double-quoted value. */
  static String escapeQuoted(String text) {
    return escape(text, true);
  }

  private static String escape(String text, boolean quoted) {
    int length = text.length();
    int first = 0;
    while (first < length && !needsEscape(text.charAt(first), quoted)) {
      first++;
    }
    if (first == length) {
      return text;
    }
    StringBuilder out = new StringBuilder(length + 16).append(text, 0, first);
    for (int i = first; i < length; i++) {
      char c = text.charAt(i);
      if (!needsEscape(c, quoted)) {
        out.append(c);
        continue;
      }
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default ->
            out.append("\\u")
                .append(HEX[(c >> 12) & 0xf])
                .append(HEX[(c >> 8) & 0xf])
                .append(HEX[(c >> 4) & 0xf])
                .append(HEX[c & 0xf]);
      }
    }
    return out.toString();
  }

  private static boolean needsEscape(char c, boolean quoted) {
    return c < 0x20
        || (c >= 0x7f && c <= 0x9f)
        || c == '\u2028'
        || c == '\u2029'
        || (quoted && (c == '"' || c == '\\'));
  }
}
