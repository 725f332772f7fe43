package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.app.testing.LogQueries;
import io.ktrdr.app.testing.LogQueries.Query;
import io.ktrdr.app.testing.Repo;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every LogQL query of the dashboards and of the datasource provisioning is parsed by Grafana's own
 * LogQL grammar ({@code @grafana/lezer-logql}, the parser of Grafana's Loki query editor, run by
 * Node.js from {@code scripts/logql-check}); an error node anywhere fails the build. Loki itself
 * cannot run here: this is as close to "Grafana accepts it" as the machine allows.
 */
class LogQlGrammarTest {
  private static final String INSTALL =
      "run 'scripts/install-test-deps.sh' (apt-get install -y nodejs npm;"
          + " npm ci --prefix scripts/logql-check)";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private record Result(int exit, String output) {}

  private static Result parse(List<Query> queries) throws Exception {
    return parse(Repo.path("scripts/logql-check"), queries);
  }

  private static Result parse(Path directory, List<Query> queries) throws Exception {
    assertThat(directory.resolve("node_modules/@grafana/lezer-logql/package.json"))
        .as("Grafana's LogQL grammar is not installed: " + INSTALL)
        .exists();
    Process process;
    try {
      process =
          new ProcessBuilder("node", "parse.mjs")
              .directory(directory.toFile())
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      throw new AssertionError("node not found: " + INSTALL, e);
    }
    List<java.util.Map<String, String>> input = new ArrayList<>();
    queries.forEach(q -> input.add(java.util.Map.of("name", q.name(), "query", q.query())));
    try (OutputStream stdin = process.getOutputStream()) {
      stdin.write(JSON.writeValueAsBytes(input));
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("node finished").isTrue();
    return new Result(process.exitValue(), output);
  }

  @Test
  void everyShippedLogQlQueryParsesWithGrafanasGrammar() throws Exception {
    List<Query> queries = new ArrayList<>(LogQueries.dashboards());
    int dashboards = Repo.files("grafana-provisioning/dashboards/json", ".json").size();
    assertThat(queries).as("two Loki panels per dashboard").hasSize(2 * dashboards);
    queries.add(
        new Query(
            "Jaeger trace-to-logs",
            LogQueries.traceToLogs("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")));
    Result result = parse(queries);
    assertThat(result.exit()).as(result.output()).isZero();
    assertThat(result.output())
        .contains(queries.size() + " parsed, 0 with errors")
        .doesNotContain("error ");
    for (Query query : queries) {
      assertThat(result.output()).contains("ok " + query.name());
    }
  }

  @Test
  void theCheckFindsASyntaxErrorAndAnUnreplacedVariable() throws Exception {
    Result result =
        parse(
            List.of(
                new Query("fine", "{service_name=\"ktrdr-api\"} | severity_text=\"ERROR\""),
                new Query("trailing pipe", "{service_name=\"ktrdr-api\"} |"),
                new Query("Grafana variable", "count_over_time({a=\"b\"} [$__auto])"),
                new Query("PromQL", "sum(rate(x[5m])) by (job")));
    assertThat(result.exit()).as(result.output()).isEqualTo(1);
    assertThat(result.output())
        .contains("ok fine", "error trailing pipe at ", "error Grafana variable at ")
        .contains("error PromQL at ")
        .contains("1 parsed, 3 with errors");
  }

  @Test
  void aMissingGrammarFailsNamingTheInstallCommand() throws Exception {
    // The script without its node_modules, as on a machine where npm ci did not run.
    Path bare = Files.createTempDirectory("logql-check-");
    Files.copy(Repo.path("scripts/logql-check/parse.mjs"), bare.resolve("parse.mjs"));
    try {
      assertThatThrownBy(() -> parse(bare, List.of(new Query("q", "{a=\"b\"}"))))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("npm ci --prefix scripts/logql-check")
          .hasMessageContaining("scripts/install-test-deps.sh");
    } finally {
      Files.delete(bare.resolve("parse.mjs"));
      Files.delete(bare);
    }
  }
}
