package io.ktrdr.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
  private static final String HEADER =
      "mode,round,rps,p99_ms,startup_ms,rss_mb,requests,cpu_ms_per_1k,alloc_bytes_per_req,"
          + "sink_cpu_ms_per_1k,export_bytes_per_req,jit_cpu_ms_per_1k";

  /** One run: requests/s and CPU ms per 1,000 requests vary, the rest is fixed. */
  private static String run(String mode, int round, double rps, double cpu) {
    return String.join(
        ",",
        mode,
        Integer.toString(round),
        Double.toString(rps),
        "2.0",
        "1000",
        "300",
        Long.toString((long) (rps * 15)),
        Double.toString(cpu),
        "40000",
        mode.startsWith("tracing") || mode.equals("agent") ? "1.5" : "0.1",
        mode.startsWith("tracing") || mode.equals("agent") ? "450" : "0",
        "3.0");
  }

  private static List<Report.Run> runs(String... lines) {
    return java.util.Arrays.stream(lines).map(Report.Run::parse).toList();
  }

  @Test
  void rewritesTheBaseAndKeepsEveryMarkedSectionOfThePreviousPage(@TempDir Path dir)
      throws IOException {
    Path csv = dir.resolve("load.csv");
    Files.writeString(
        csv,
        String.join(
            "\n",
            HEADER,
            run("bare", 1, 1000, 100),
            run("metrics", 1, 990, 104),
            run("tracing", 1, 800, 180),
            run("agent", 1, 700, 260)));
    Path machine = dir.resolve("machine.txt");
    Files.writeString(machine, "cpu: test\nkeep:  tracing-10/tracing-1 with KTRDR_A=1 KTRDR_B=2\n");
    Path page = dir.resolve("performance.md");
    Files.writeString(
        page,
        "# Old page\n\nstale load table\n\n<!-- request-cost:start -->\n## Cost\nA\n"
            + "<!-- request-cost:end -->\n\nstale text between\n\n<!-- scrape:start -->\nB\n"
            + "<!-- scrape:end -->\n");

    Report.main(
        new String[] {
          csv.toString(), machine.toString(), page.toString(), dir.resolve("p.png").toString()
        });

    String text = Files.readString(page);
    assertThat(text)
        .contains("## Load test", "## Machine", "## Reproduce", "| tracing | 800 |")
        .doesNotContain("stale", "# Old page", "## Cost per request (JMH)", "## Scrape cost");
    assertThat(text.indexOf("<!-- request-cost:start -->\n## Cost\nA\n<!-- request-cost:end -->"))
        .isGreaterThan(text.indexOf("## Reproduce"))
        .isLessThan(text.indexOf("<!-- scrape:start -->\nB\n<!-- scrape:end -->"));
    assertThat(Files.size(dir.resolve("p.png"))).isPositive();
  }

  @Test
  void aSectionWithoutItsEndMarkerIsAnErrorNamingIt() {
    assertThatThrownBy(() -> Report.markedSections("x\n<!-- scrape:start -->\nB\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("<!-- scrape:end -->");
  }

  @Test
  void targetsAreComputedFromTheMediansOfThePairedRatios() {
    List<Report.Run> runs =
        runs(
            run("bare", 1, 1000, 100),
            run("metrics", 1, 960, 110),
            run("tracing", 1, 950, 230),
            run("agent", 1, 700, 300),
            run("bare", 2, 1000, 100),
            run("metrics", 2, 990, 110),
            run("tracing", 2, 900, 200),
            run("agent", 2, 960, 300),
            run("bare", 3, 900, 100),
            run("metrics", 3, 860, 110),
            run("tracing", 3, 700, 210),
            run("agent", 3, 600, 300));

    List<Report.Target> targets = Report.targets(Report.summarize(runs), runs);

    // metrics: 0.96, 0.99, 0.956 -> median 0.96 < 0.97
    // tracing: 0.95, 0.90, 0.778 -> median 0.90, met; agent's median 0.70, below tracing's
    // CPU over metrics: 2.09, 1.82, 1.91 -> median 1.91 < 2
    assertThat(targets)
        .extracting(Report.Target::setUp, Report.Target::met)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("metrics", false),
            org.assertj.core.groups.Tuple.tuple("tracing", true),
            org.assertj.core.groups.Tuple.tuple("tracing", true),
            org.assertj.core.groups.Tuple.tuple("tracing", true));
    assertThat(targets.get(0).measured()).isEqualTo("0.960× (0.956×–0.990×)");
    assertThat(targets.get(3).measured()).isEqualTo("1.91× (1.82×–2.09×)");
  }
}
