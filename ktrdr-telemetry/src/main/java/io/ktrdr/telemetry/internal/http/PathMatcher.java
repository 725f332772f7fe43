package io.ktrdr.telemetry.internal.http;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Exact paths and {@code /prefix*} patterns: the requests the Javalin plugin leaves alone, the
 * paths the {@code ktrdr_rules} sampler drops.
 */
public final class PathMatcher {
  private final String[] exact;
  private final String[] prefixes;

  /**
   * @throws IllegalArgumentException when a pattern does not start with {@code /}
   */
  public PathMatcher(List<String> patterns) {
    List<String> exactList = new ArrayList<>();
    List<String> prefixList = new ArrayList<>();
    for (String pattern : patterns) {
      if (!pattern.startsWith("/")) {
        throw new IllegalArgumentException(
            "excluded path '" + pattern + "' must start with '/' (a trailing '*' makes a prefix)");
      }
      if (pattern.endsWith("*")) {
        prefixList.add(pattern.substring(0, pattern.length() - 1));
      } else {
        exactList.add(pattern);
      }
    }
    this.exact = exactList.toArray(new String[0]);
    this.prefixes = prefixList.toArray(new String[0]);
  }

  /** Whether {@code path} equals a pattern or starts with a prefix pattern. */
  public boolean matches(@Nullable String path) {
    return matches(path, 0);
  }

  /**
   * Whether {@code path} from index {@code from} on (the path inside a servlet context, for one)
   * equals a pattern or starts with a prefix pattern; one trailing {@code /} is ignored, so {@code
   * /metrics/} is {@code /metrics}. Allocates nothing.
   */
  public boolean matches(@Nullable String path, int from) {
    if (path == null || from < 0 || from >= path.length()) {
      return false;
    }
    int end = path.length();
    if (end - from > 1 && path.charAt(end - 1) == '/') {
      end--;
    }
    int length = end - from;
    for (String pattern : exact) {
      if (pattern.length() == length && path.startsWith(pattern, from)) {
        return true;
      }
    }
    for (String prefix : prefixes) {
      if (path.startsWith(prefix, from)) {
        return true;
      }
    }
    return false;
  }
}
