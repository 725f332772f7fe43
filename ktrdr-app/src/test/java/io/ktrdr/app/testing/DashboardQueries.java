package io.ktrdr.app.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The queries of the shipped Grafana dashboards and Prometheus rules, with Grafana's variables
 * replaced by what Grafana would send in a short test run.
 */
public final class DashboardQueries {
  /** What Grafana would put in the queries, for a short test run. */
  public static final Map<String, String> GRAFANA_VARIABLES =
      Map.of(
          "$__rate_interval", "2m",
          "$__range", "10m",
          "$__range_s", "600",
          "$__interval", "15s",
          "$job", "(ktrdr-api|ktrdr-workers)",
          "$instance", ".*",
          "$worker_type", ".*",
          "$operation_type", ".*");

  /** One panel query. */
  public record PanelQuery(String panel, String expr, boolean mayBeEmpty) {}

  /** A query variable of a dashboard: {@code label_values(selector, label)}. */
  public record Variable(String dashboard, String selector, String label) {}

  /** One rule of the shipped rule files. */
  public record RuleQuery(String name, String expr, boolean recording) {}

  private DashboardQueries() {}

  /** Every query of every panel of every shipped dashboard, variables substituted. */
  public static List<PanelQuery> panels() {
    List<PanelQuery> queries = new ArrayList<>();
    for (Path file : Repo.files("grafana-provisioning/dashboards/json", ".json")) {
      JsonNode dashboard = Repo.json(file);
      for (JsonNode panel : dashboard.get("panels")) {
        if (panel.get("type").asString().equals("row")) {
          continue;
        }
        String title = dashboard.get("uid").asString() + " / " + panel.get("title").asString();
        for (JsonNode target : panel.get("targets")) {
          queries.add(
              new PanelQuery(
                  title, substitute(target.get("expr").asString()), panel.has("ktrdrMayBeEmpty")));
        }
      }
    }
    return queries;
  }

  /** Every {@code label_values} variable of every shipped dashboard, variables substituted. */
  public static List<Variable> variables() {
    List<Variable> variables = new ArrayList<>();
    Pattern labelValues = Pattern.compile("label_values\\((.*), (\\w+)\\)");
    for (Path file : Repo.files("grafana-provisioning/dashboards/json", ".json")) {
      JsonNode dashboard = Repo.json(file);
      for (JsonNode variable : dashboard.at("/templating/list")) {
        if (variable.get("type").asString().equals("query")) {
          String definition = variable.get("definition").asString();
          Matcher m = labelValues.matcher(definition);
          if (!m.matches()) {
            throw new AssertionError(dashboard.get("uid") + ": not label_values: " + definition);
          }
          variables.add(
              new Variable(dashboard.get("uid").asString(), substitute(m.group(1)), m.group(2)));
        }
      }
    }
    return variables;
  }

  /** Every recording and alerting rule of the shipped {@code *.rules.yml} files. */
  public static List<RuleQuery> rules() {
    List<RuleQuery> rules = new ArrayList<>();
    for (Path file : Repo.files("prometheus/rules", ".rules.yml")) {
      JsonNode groups = Repo.yaml("prometheus/rules/" + file.getFileName()).get("groups");
      for (JsonNode group : groups) {
        for (JsonNode rule : group.get("rules")) {
          boolean recording = rule.has("record");
          String name = recording ? rule.get("record").asString() : rule.get("alert").asString();
          rules.add(new RuleQuery(name, rule.get("expr").asString(), recording));
        }
      }
    }
    return rules;
  }

  /** {@code expr} with Grafana's variables replaced; fails if one is left. */
  public static String substitute(String expr) {
    return substitute(expr, GRAFANA_VARIABLES);
  }

  /**
   * {@code expr} with {@code variables} replaced, longest names first ($__range_s before $__range).
   */
  public static String substitute(String expr, Map<String, String> variables) {
    String result = expr;
    for (Map.Entry<String, String> variable :
        variables.entrySet().stream()
            .sorted((a, b) -> b.getKey().length() - a.getKey().length())
            .toList()) {
      result = result.replace(variable.getKey(), variable.getValue());
    }
    if (result.contains("$")) {
      throw new AssertionError("a variable is left in " + expr);
    }
    return result;
  }

  /** Whether a vector result has at least one finite value. */
  public static boolean hasFiniteValue(JsonNode result) {
    for (JsonNode series : result) {
      if (series.has("histogram")) {
        return true; // a native histogram sample
      }
      double value = Double.parseDouble(series.get("value").get(1).asString());
      if (!Double.isNaN(value) && !Double.isInfinite(value)) {
        return true;
      }
    }
    return false;
  }
}
