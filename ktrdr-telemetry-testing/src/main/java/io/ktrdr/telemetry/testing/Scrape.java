package io.ktrdr.telemetry.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A parsed Prometheus text-format (0.0.4) or OpenMetrics scrape, for assertions. Fails loudly on a
 * line it cannot read, so a malformed exposition fails the test.
 *
 * <pre>{@code
 * Scrape scrape = Scrape.parse(Http.get(base + "/metrics").body());
 * assertThat(scrape.value("http_server_request_duration_seconds_count", Map.of("http_route", "/items/{id}")))
 *     .isEqualTo(1);
 * }</pre>
 */
public final class Scrape {
  /** One sample line. */
  public record Sample(String name, Map<String, String> labels, double value, String exemplar) {
    /** One label's value, or null. */
    public String label(String key) {
      return labels.get(key);
    }
  }

  private final List<Sample> samples;
  private final Map<String, String> types;

  private Scrape(List<Sample> samples, Map<String, String> types) {
    this.samples = samples;
    this.types = types;
  }

  /** Parses a scrape's body; a family declared twice or an unreadable line is an error. */
  public static Scrape parse(String body) {
    List<Sample> samples = new ArrayList<>();
    Map<String, String> types = new LinkedHashMap<>();
    for (String line : body.split("\n")) {
      if (line.isEmpty() || line.equals("# EOF")) {
        continue;
      }
      if (line.startsWith("# TYPE ")) {
        String[] parts = line.split(" ");
        if (types.put(parts[2], parts[3]) != null) {
          throw new AssertionError("family declared twice: " + parts[2]);
        }
        continue;
      }
      if (line.startsWith("#")) {
        continue;
      }
      samples.add(parseSample(line));
    }
    return new Scrape(Collections.unmodifiableList(samples), types);
  }

  private static Sample parseSample(String line) {
    String exemplar = null;
    int hash = indexOfExemplar(line);
    if (hash >= 0) {
      exemplar = line.substring(hash + 3);
      line = line.substring(0, hash);
    }
    int brace = line.indexOf('{');
    int space;
    String name;
    Map<String, String> labels = new LinkedHashMap<>();
    if (brace >= 0 && brace < line.indexOf(' ')) {
      name = line.substring(0, brace);
      int i = brace + 1;
      while (line.charAt(i) != '}') {
        int eq = line.indexOf('=', i);
        String key = line.substring(i, eq);
        if (line.charAt(eq + 1) != '"') {
          throw new AssertionError("bad label in: " + line);
        }
        StringBuilder value = new StringBuilder();
        int j = eq + 2;
        while (line.charAt(j) != '"') {
          char c = line.charAt(j);
          if (c == '\\') {
            char next = line.charAt(++j);
            value.append(next == 'n' ? '\n' : next);
          } else {
            value.append(c);
          }
          j++;
        }
        labels.put(key, value.toString());
        i = j + 1;
        if (line.charAt(i) == ',') {
          i++;
        }
      }
      space = i + 1;
    } else {
      space = line.indexOf(' ');
      name = line.substring(0, space);
    }
    String[] rest = line.substring(space).trim().split(" ");
    return new Sample(name, Collections.unmodifiableMap(labels), parseValue(rest[0]), exemplar);
  }

  private static int indexOfExemplar(String line) {
    boolean inQuotes = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '"') {
        inQuotes = !inQuotes;
      } else if (!inQuotes && c == '#' && i > 0 && line.startsWith(" # ", i - 1)) {
        return i - 1;
      }
    }
    return -1;
  }

  private static double parseValue(String raw) {
    switch (raw) {
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      case "NaN":
        return Double.NaN;
      default:
        return Double.parseDouble(raw);
    }
  }

  /** Every sample, in the order of the body. */
  public List<Sample> samples() {
    return samples;
  }

  /** The declared type of each family ({@code # TYPE} lines), by family name. */
  public Map<String, String> types() {
    return types;
  }

  /** The samples named {@code name} (with its suffix: {@code _bucket}, {@code _count}, ...). */
  public List<Sample> samples(String name) {
    return samples.stream().filter(s -> s.name().equals(name)).collect(Collectors.toList());
  }

  /** The samples named {@code name} that {@code filter} accepts. */
  public List<Sample> samples(String name, Predicate<Sample> filter) {
    return samples(name).stream().filter(filter).collect(Collectors.toList());
  }

  /** The value of the one sample named {@code name} whose labels include {@code labels}. */
  public double value(String name, Map<String, String> labels) {
    List<Sample> matching =
        samples(name, s -> s.labels().entrySet().containsAll(labels.entrySet()));
    if (matching.size() != 1) {
      throw new AssertionError(
          "expected one sample "
              + name
              + labels
              + " but found "
              + matching.size()
              + ": "
              + matching);
    }
    return matching.get(0).value();
  }
}
