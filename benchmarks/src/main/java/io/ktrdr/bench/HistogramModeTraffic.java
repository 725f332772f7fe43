package io.ktrdr.bench;

import io.ktrdr.telemetry.HistogramMode;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The same traffic for every histogram mode: the HTTP server duration histogram with the semantic
 * conventions' attributes and bucket advice, over 200 routes, 2 methods and 5 status codes (2,000
 * label sets), 20 log-normal latencies each (median 40 ms).
 */
final class HistogramModeTraffic {
  static final int ROUTES = 200;
  static final List<String> METHODS = List.of("GET", "POST");
  static final List<Integer> STATUSES = List.of(200, 201, 400, 404, 503);
  static final int OBSERVATIONS_PER_SET = 20;
  static final List<Double> HTTP_BUCKETS =
      List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);

  private HistogramModeTraffic() {}

  static KtrdrTelemetry telemetry(HistogramMode mode) {
    return KtrdrTelemetry.builder()
        .serviceName("bench")
        .jvmMetrics(false)
        .tracing(false)
        .shutdownHook(false)
        .histogramMode(mode)
        .environment(Map.of("OTEL_JAVA_METRICS_CARDINALITY_LIMIT", "20000"))
        .build();
  }

  static DoubleHistogram histogram(KtrdrTelemetry telemetry) {
    return telemetry
        .meter("bench")
        .histogramBuilder("http.server.request.duration")
        .setUnit("s")
        .setExplicitBucketBoundariesAdvice(HTTP_BUCKETS)
        .build();
  }

  /** Every label set of the traffic. */
  static List<Attributes> labelSets() {
    List<Attributes> sets = new ArrayList<>();
    for (int route = 0; route < ROUTES; route++) {
      for (String method : METHODS) {
        for (int status : STATUSES) {
          sets.add(
              Attributes.of(
                  AttributeKey.stringKey("http.request.method"),
                  method,
                  AttributeKey.longKey("http.response.status_code"),
                  (long) status,
                  AttributeKey.stringKey("http.route"),
                  "/api/v1/resource" + route + "/{id}",
                  AttributeKey.stringKey("url.scheme"),
                  "http"));
        }
      }
    }
    return sets;
  }

  /** Records the traffic into {@code histogram}. */
  static void drive(DoubleHistogram histogram) {
    Random random = new Random(1234);
    for (Attributes set : labelSets()) {
      for (int i = 0; i < OBSERVATIONS_PER_SET; i++) {
        histogram.record(0.040 * Math.exp(random.nextGaussian()), set);
      }
    }
  }
}
