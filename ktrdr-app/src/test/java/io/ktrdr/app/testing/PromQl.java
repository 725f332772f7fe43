package io.ktrdr.app.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small PromQL rewrites for tests. */
public final class PromQl {
  private static final Set<String> KEYWORDS =
      Set.of(
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "and",
          "or",
          "unless",
          "bool",
          "offset",
          "inf",
          "nan",
          // aggregations, which may be followed by "by (...)" before their parenthesis
          "sum",
          "min",
          "max",
          "avg",
          "count",
          "group",
          "stddev",
          "stdvar",
          "topk",
          "bottomk",
          "quantile",
          "count_values");
  private static final Set<String> LABEL_LISTS =
      Set.of("by", "without", "on", "ignoring", "group_left", "group_right");

  private PromQl() {}

  /**
   * Adds the matcher {@code matcher} (e.g. {@code instance!="x:1"}) to every series selector of
   * {@code expr}: metric names with or without braces. Function names, keywords, label lists of
   * {@code by}/{@code on}/..., strings, durations and numbers are left alone.
   */
  public static String addMatcher(String expr, String matcher) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    int n = expr.length();
    while (i < n) {
      char c = expr.charAt(i);
      if (c == '"' || c == '\'' || c == '`') {
        int end = skipString(expr, i);
        out.append(expr, i, end);
        i = end;
      } else if (c == '[') {
        int end = expr.indexOf(']', i) + 1;
        out.append(expr, i, end);
        i = end;
      } else if (c == '{') {
        // A selector without a metric name: {__name__=~"..."}.
        out.append('{').append(matcher).append(", ");
        i++;
        int end = skipBraces(expr, i);
        out.append(expr, i, end);
        i = end;
      } else if (Character.isLetter(c) || c == '_' || c == ':') {
        int start = i;
        while (i < n
            && (Character.isLetterOrDigit(expr.charAt(i)) || "_:".indexOf(expr.charAt(i)) >= 0)) {
          i++;
        }
        String word = expr.substring(start, i);
        int next = i;
        while (next < n && Character.isWhitespace(expr.charAt(next))) {
          next++;
        }
        char following = next < n ? expr.charAt(next) : ' ';
        if (LABEL_LISTS.contains(word.toLowerCase()) && following == '(') {
          int end = expr.indexOf(')', next) + 1;
          out.append(expr, start, end);
          i = end;
        } else if (KEYWORDS.contains(word.toLowerCase()) || following == '(') {
          out.append(word);
        } else if (following == '{') {
          out.append(word).append(expr, i, next + 1).append(matcher).append(", ");
          i = next + 1;
          int end = skipBraces(expr, i);
          out.append(expr, i, end);
          i = end;
        } else {
          out.append(word).append('{').append(matcher).append('}');
        }
      } else if (Character.isDigit(c) || c == '.') {
        int start = i;
        while (i < n && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '.')) {
          i++;
        }
        out.append(expr, start, i);
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString().replace(", }", "}");
  }

  /** The series selectors of {@code expr}, each with its braces ({@code up{job="a"}}). */
  public static List<String> selectors(String expr) {
    String marked = addMatcher(expr, MARK);
    Matcher m =
        Pattern.compile(
                "([a-zA-Z_:][a-zA-Z0-9_:]*)?\\{" + Pattern.quote(MARK) + "(?:, )?([^}]*)\\}")
            .matcher(marked);
    List<String> selectors = new ArrayList<>();
    while (m.find()) {
      selectors.add((m.group(1) == null ? "" : m.group(1)) + "{" + m.group(2) + "}");
    }
    return selectors;
  }

  private static final String MARK = "__selector_mark__=\"1\"";

  private static int skipString(String expr, int start) {
    char quote = expr.charAt(start);
    int i = start + 1;
    while (i < expr.length() && expr.charAt(i) != quote) {
      i += expr.charAt(i) == '\\' ? 2 : 1;
    }
    return i + 1;
  }

  /** From just inside a '{', the index just after its matching '}' (skipping strings). */
  private static int skipBraces(String expr, int start) {
    int i = start;
    while (i < expr.length() && expr.charAt(i) != '}') {
      char c = expr.charAt(i);
      i = c == '"' || c == '\'' || c == '`' ? skipString(expr, i) : i + 1;
    }
    return i + 1;
  }
}
