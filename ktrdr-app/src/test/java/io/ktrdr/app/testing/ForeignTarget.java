package io.ktrdr.app.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Another service in the same Prometheus that emits KTRDR's metric names, as Jaeger or any
 * OpenTelemetry-instrumented service does: a real HTTP server on a free loopback port serving a
 * copy of real KTRDR expositions with very different values. Every value is multiplied by 1000 and
 * grows by 1000 a second (counters and histogram buckets stay monotonic), successful responses
 * become 5xx, and its {@code target_info} names another service.
 */
public final class ForeignTarget implements AutoCloseable {
  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{.*\\})?) (\\S+)(.*)$");

  private final HttpServer server;
  private final List<String> expositions;
  private final long started = System.nanoTime();

  private ForeignTarget(HttpServer server, List<String> expositions) {
    this.server = server;
    this.expositions = expositions;
  }

  /** Serves {@code expositions} (Prometheus text format), transformed, at {@code /metrics}. */
  public static ForeignTarget start(List<String> expositions) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      ForeignTarget target = new ForeignTarget(server, expositions);
      server.createContext(
          "/metrics",
          exchange -> {
            try (exchange) {
              byte[] body = target.render().getBytes(StandardCharsets.UTF_8);
              exchange
                  .getResponseHeaders()
                  .add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
              exchange.sendResponseHeaders(200, body.length);
              exchange.getResponseBody().write(body);
            }
          });
      server.start();
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  String render() {
    double elapsed = (System.nanoTime() - started) / 1e9;
    StringBuilder out = new StringBuilder();
    Set<String> seen = new HashSet<>();
    for (String exposition : expositions) {
      for (String line : exposition.split("\n")) {
        if (line.startsWith("#")) {
          // One HELP/TYPE per name even when two expositions share it.
          if (seen.add(line)) {
            out.append(line).append('\n');
          }
          continue;
        }
        Matcher sample = SAMPLE.matcher(line);
        if (!sample.matches()) {
          continue;
        }
        String series =
            sample
                .group(1)
                .replaceAll(
                    "http_response_status_code=\"2(\\d\\d)\"", "http_response_status_code=\"5$1\"")
                .replaceAll("service_name=\"[^\"]*\"", "service_name=\"jaeger\"")
                .replaceAll(",?service_instance_id=\"[^\"]*\"", "");
        if (!seen.add(series)) {
          continue; // the same series in both expositions (JVM metrics): once
        }
        double value = Double.parseDouble(sample.group(2));
        double foreign =
            series.startsWith("target_info") ? value : value * 1000 + Math.floor(elapsed) * 1000;
        out.append(series).append(' ').append(foreign).append('\n');
      }
    }
    return out.toString();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
