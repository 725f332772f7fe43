package io.ktrdr.app.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The LogQL of the shipped Grafana provisioning: every query of a Loki panel (rows included) and
 * the Jaeger datasource's trace-to-logs query, as Grafana would send them once it has replaced its
 * variables.
 */
public final class LogQueries {
  /** Loki's uid in the provisioning. */
  public static final String LOKI = "loki";

  /** What Grafana puts in the dashboards' Loki queries, for a short test run. */
  public static final Map<String, String> DASHBOARD_VARIABLES =
      Map.of(
          // The hidden service variable's "All": the service names of the KTRDR jobs.
          "$service", "(ktrdr-api|ktrdr-worker)",
          "$__auto", "1m",
          "$__interval", "15s",
          "$__range", "10m");

  /** One query and where it comes from. */
  public record Query(String name, String query) {}

  private LogQueries() {}

  /** Every LogQL query of the dashboards, variables substituted. */
  public static List<Query> dashboards() {
    List<Query> queries = new ArrayList<>();
    for (Path file : Repo.files("grafana-provisioning/dashboards/json", ".json")) {
      JsonNode dashboard = Repo.json(file);
      String uid = dashboard.get("uid").asString();
      List<JsonNode> panels = new ArrayList<>();
      for (JsonNode panel : dashboard.get("panels")) {
        panels.add(panel);
        panel.path("panels").forEach(panels::add);
      }
      for (JsonNode panel : panels) {
        for (JsonNode target : panel.path("targets")) {
          String datasource =
              target.at("/datasource/uid").asString(panel.at("/datasource/uid").asString(""));
          if (datasource.equals(LOKI)) {
            queries.add(
                new Query(
                    uid + " / " + panel.get("title").asString(),
                    substitute(target.get("expr").asString(), DASHBOARD_VARIABLES)));
          }
        }
      }
    }
    return queries;
  }

  /**
   * The Jaeger datasource's trace-to-logs query as Grafana reads it from the provisioning file
   * ({@code $$} is a literal {@code $}), before its span variables are replaced.
   */
  public static String traceToLogs() {
    return provisioned(datasource("jaeger").at("/jsonData/tracesToLogsV2/query").asString());
  }

  /** The trace-to-logs query for one span, as Grafana sends it to Loki. */
  public static String traceToLogs(String traceId, String spanId) {
    return substitute(
        traceToLogs(), Map.of("${__span.traceId}", traceId, "${__span.spanId}", spanId));
  }

  /** The Loki datasource's derived field for trace ids. */
  public static JsonNode traceIdField() {
    JsonNode fields = datasource(LOKI).at("/jsonData/derivedFields");
    for (JsonNode field : fields) {
      if (field.get("datasourceUid").asString().equals("jaeger")) {
        return field;
      }
    }
    throw new AssertionError("no derived field to jaeger in " + fields);
  }

  /**
   * A provisioning value as Grafana reads it: it expands environment variables, {@code $$} is $.
   */
  public static String provisioned(String value) {
    return value.replace("$$", "$");
  }

  public static JsonNode datasource(String uid) {
    for (JsonNode ds :
        Repo.yaml("grafana-provisioning/datasources/datasources.yml").get("datasources")) {
      if (ds.get("uid").asString().equals(uid)) {
        return ds;
      }
    }
    throw new AssertionError("no datasource " + uid);
  }

  private static final Pattern LEFT = Pattern.compile("\\$\\{?[\\w.]+\\}?");

  /** Replaces Grafana variables; a variable without a value fails, naming it. */
  public static String substitute(String query, Map<String, String> variables) {
    String result = query;
    // Longest first, so that $__range does not take $__range_s's place.
    List<String> names = new ArrayList<>(variables.keySet());
    names.sort((a, b) -> b.length() - a.length());
    for (String name : names) {
      result = result.replace(name, variables.get(name));
    }
    Matcher left = LEFT.matcher(result);
    if (left.find()) {
      throw new AssertionError("no value for " + left.group() + " in " + query);
    }
    return result;
  }
}
