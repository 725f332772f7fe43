package io.ktrdr.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scrapes a running app's {@code /metrics} N times in each format Prometheus asks for (the headers
 * of {@link ScrapeTargets}), after 5 unrecorded scrapes, and writes per format: body bytes, series
 * (sample lines of the text body), median and p90 of the time from request to the last byte. Used
 * by {@code benchmarks/app-scrape.sh} after a load run against the reference API.
 *
 * <p>Usage: {@code AppScrape http://127.0.0.1:PORT/metrics SCRAPES out.csv}
 */
public final class AppScrape {
  static final String HEADER = "format,scrapes,body_bytes,series,median_ms,p90_ms";
  private static final int WARM_UP = 5;

  private AppScrape() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    URI uri = URI.create(args[0]);
    int scrapes = Integer.parseInt(args[1]);
    Path csv = Path.of(args[2]);
    if (scrapes < 1) {
      throw new IllegalArgumentException("SCRAPES=" + scrapes + ": expected at least 1");
    }
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    List<String> rows = new ArrayList<>(List.of(HEADER));
    long series = 0;
    for (String format : List.of("text", "gzip", "protobuf")) {
      HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
      ScrapeTargets.headers(format).forEach(request::header);
      for (int i = 0; i < WARM_UP; i++) {
        client.send(request.build(), HttpResponse.BodyHandlers.discarding());
      }
      double[] millis = new double[scrapes];
      long bytes = 0;
      for (int i = 0; i < scrapes; i++) {
        long start = System.nanoTime();
        HttpResponse<byte[]> response =
            client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        millis[i] = (System.nanoTime() - start) / 1e6;
        if (response.statusCode() != 200) {
          throw new IllegalStateException(uri + " answered " + response.statusCode());
        }
        bytes = response.body().length;
        if (format.equals("text")) {
          series = series(new String(response.body(), StandardCharsets.UTF_8));
        }
      }
      Arrays.sort(millis);
      rows.add(
          String.format(
              Locale.ROOT,
              "%s,%d,%d,%d,%.2f,%.2f",
              format,
              scrapes,
              bytes,
              series,
              percentile(millis, 0.5),
              percentile(millis, 0.9)));
    }
    try {
      Files.write(csv, rows);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + csv, e);
    }
    rows.forEach(System.out::println);
  }

  /** Sample lines of a text-format body: every line but comments and blank ones. */
  static long series(String body) {
    return body.lines().filter(line -> !line.isEmpty() && !line.startsWith("#")).count();
  }

  /** The nearest-rank percentile of sorted values. */
  static double percentile(double[] sorted, double p) {
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  /** The app-scrape.csv rows by format. */
  static Map<String, String[]> read(Path csv) throws IOException {
    Map<String, String[]> rows = new java.util.LinkedHashMap<>();
    for (String line : Files.readAllLines(csv)) {
      if (!line.isBlank() && !line.equals(HEADER)) {
        String[] cells = line.split(",");
        rows.put(cells[0], cells);
      }
    }
    return rows;
  }
}
