package io.ktrdr.telemetry.http;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Exact paths and {@code /prefix*} patterns, for requests the telemetry leaves alone. */
final class PathMatcher {
  private final Set<String> exact = new HashSet<>();
  private final String[] prefixes;

  PathMatcher(List<String> patterns) {
    List<String> prefixList = new ArrayList<>();
    for (String pattern : patterns) {
      if (!pattern.startsWith("/")) {
        throw new IllegalArgumentException(
            "excluded path '" + pattern + "' must start with '/' (a trailing '*' makes a prefix)");
      }
      if (pattern.endsWith("*")) {
        prefixList.add(pattern.substring(0, pattern.length() - 1));
      } else {
        exact.add(pattern);
      }
    }
    this.prefixes = prefixList.toArray(new String[0]);
  }

  boolean matches(@Nullable String path) {
    if (path == null) {
      return false;
    }
    if (exact.contains(path)) {
      return true;
    }
    for (String prefix : prefixes) {
      if (path.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }
}
