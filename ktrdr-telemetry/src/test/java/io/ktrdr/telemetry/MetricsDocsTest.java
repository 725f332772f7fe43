package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.javalin.TestApp;
import io.ktrdr.telemetry.testing.Await;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.Scrape;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/metrics.md names every metric family the library emits: a service with every feature in use
 * is scraped, and each family must appear in the reference, in full or as a documented family name
 * plus one of the suffixes the reference lists next to it.
 */
class MetricsDocsTest {
  private static final Pattern NAME = Pattern.compile("`([a-z_][a-z0-9_]*)(?:\\{[^`]*\\})?`");

  @Test
  void everyFamilyTheLibraryEmitsIsDocumented() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "metrics.md"));
    Set<String> names = new TreeSet<>();
    Matcher matcher = NAME.matcher(doc);
    while (matcher.find()) {
      names.add(matcher.group(1));
    }
    try (OtlpReceiver receiver = OtlpReceiver.start();
        TestApp app =
            TestApp.start(
                builder ->
                    builder
                        .otlpEndpoint(receiver.endpoint())
                        .environment(
                            Map.of(
                                "OTEL_BSP_SCHEDULE_DELAY",
                                "50",
                                "KTRDR_TRACES_KEEP_ERRORS",
                                "true")),
                plugin -> {})) {
      app.telemetry.operations().run("backtest", "op-1", op -> null);
      HttpClient client = app.telemetry.tracing().httpClient(HttpClient.newHttpClient());
      client.send(
          HttpRequest.newBuilder(java.net.URI.create(app.url("/api/v1/data/A/1d"))).build(),
          HttpResponse.BodyHandlers.discarding());
      receiver.awaitSpan("GET /api/v1/data/{symbol}/{timeframe}");
      Scrape scrape =
          Await.value(
              "the span exporter's metrics",
              Duration.ofSeconds(10),
              () -> Scrape.parse(Http.get(app.url("/metrics")).body()),
              s -> {
                System.out.println("FAMILIES " + s.types().keySet());
                return s.types().keySet().stream()
                    .anyMatch(f -> f.startsWith("otel_sdk_exporter_span_exported"));
              });
      Set<String> undocumented = new TreeSet<>();
      for (String family : scrape.types().keySet()) {
        if (!documented(family, names)) {
          undocumented.add(family);
        }
      }
      assertThat(undocumented).as("families missing from docs/metrics.md").isEmpty();
    }
  }

  /** {@code family} in full, or a documented name whose last part a documented suffix replaces. */
  private static boolean documented(String family, Set<String> names) {
    if (names.contains(family)
        || names.contains(family + "_total")
        || names.contains(family.replaceAll("_total$", ""))) {
      return true;
    }
    for (String suffix : names) {
      if (!suffix.startsWith("_") || !family.endsWith(suffix)) {
        continue;
      }
      String stem = family.substring(0, family.length() - suffix.length());
      for (String name : names) {
        if (name.startsWith(stem + "_")) {
          return true;
        }
      }
    }
    return false;
  }
}
