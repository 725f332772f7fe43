package io.ktrdr.telemetry.logback.internal;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * {@code %ktrdrKvp} in the shipped text pattern: the event's key-value pairs as {@code
 * key="value"}, separated by spaces, each value escaped for its quotes ({@link
 * LineEscaper#escapeQuoted}), so an alert named {@code Q" severity="critical"} stays one value
 * instead of forging a second pair. A key, set by code, is kept to letters, digits, {@code _},
 * {@code .} and {@code -}.
 *
 * <p>Internal: registered by {@code logback-ktrdr.xml} with {@code <conversionRule>}.
 */
public final class EscapedKeyValueConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    List<KeyValuePair> pairs = event.getKeyValuePairs();
    if (pairs == null || pairs.isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    for (KeyValuePair pair : pairs) {
      if (out.length() > 0) {
        out.append(' ');
      }
      out.append(pair.key == null ? "null" : cleanKey(pair.key))
          .append("=\"")
          .append(LineEscaper.escapeQuoted(String.valueOf(pair.value)))
          .append('"');
    }
    return out.toString();
  }

  /** {@code key} with every character but letters, digits, _ . - replaced by _; itself if clean. */
  static String cleanKey(String key) {
    int length = key.length();
    int first = 0;
    while (first < length && isKeyChar(key.charAt(first))) {
      first++;
    }
    if (first == length) {
      return key;
    }
    char[] chars = key.toCharArray();
    for (int i = first; i < length; i++) {
      if (!isKeyChar(chars[i])) {
        chars[i] = '_';
      }
    }
    return new String(chars);
  }

  private static boolean isKeyChar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '_'
        || c == '.'
        || c == '-';
  }
}
