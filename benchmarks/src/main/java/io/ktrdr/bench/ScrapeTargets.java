package io.ktrdr.bench;

import io.ktrdr.telemetry.HistogramMode;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.internal.http.HttpServerMetrics;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.common.PrometheusScrapeHandler;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.Map;

/**
 * The scrape targets that {@link ScrapeBenchmark} times and {@link ScrapeReport} measures: N series
 * of the HTTP duration histogram (14 classic buckets, one route per series) behind a {@code
 * /metrics} handler, and the request headers Prometheus sends for each format.
 */
final class ScrapeTargets {
  /** Prometheus 2.x/3.x default: OpenMetrics first, then the classic text format. */
  static final String TEXT_ACCEPT =
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
          + "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

  /** Prometheus with native histograms on: protobuf first. */
  static final String PROTOBUF_ACCEPT =
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
          + "encoding=delimited;q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,"
          + "application/openmetrics-text;version=0.0.1;q=0.3,text/plain;version=0.0.4;q=0.2,"
          + "*/*;q=0.1";

  private ScrapeTargets() {}

  /**
   * The request headers of a format: {@code text}, {@code gzip} (text compressed), {@code
   * protobuf}.
   */
  static Map<String, String> headers(String format) {
    return switch (format) {
      case "text" -> Map.of("Accept", TEXT_ACCEPT);
      case "gzip" -> Map.of("Accept", TEXT_ACCEPT, "Accept-Encoding", "gzip");
      case "protobuf" -> Map.of("Accept", PROTOBUF_ACCEPT);
      default ->
          throw new IllegalArgumentException("format=" + format + ": text, gzip or protobuf");
    };
  }

  /** Answers one scrape. */
  interface Handler {
    void handle(NullExchange exchange) throws IOException;
  }

  /** A scrape target: its handler, and what closing it releases. */
  record Target(Handler handler, Runnable release) implements AutoCloseable {
    @Override
    public void close() {
      release.run();
    }
  }

  /**
   * {@code impl}: {@code ktrdr} (the library with classic buckets), {@code ktrdr_noscope} (the same
   * with {@code KTRDR_METRICS_SCOPE_LABELS_ENABLED=false}), {@code client_java} (its own registry
   * and histogram), {@code otel_stock} (the OpenTelemetry SDK and its stock PrometheusMetricReader,
   * what the library used before its own reader).
   */
  static Target create(String impl, int series) {
    return switch (impl) {
      case "ktrdr" -> ktrdr(series, true);
      case "ktrdr_noscope" -> ktrdr(series, false);
      case "client_java" -> clientJava(series);
      case "otel_stock" -> otel(series, PrometheusMetricReader.builder().build());
      default ->
          throw new IllegalArgumentException(
              "impl=" + impl + ": ktrdr, ktrdr_noscope, client_java or otel_stock");
    };
  }

  private static void record(HttpServerMetrics metrics, int series) {
    int get = HttpServerMetrics.methodIndex("GET");
    for (int i = 0; i < series; i++) {
      metrics.requestStarted(get, false);
      metrics.requestFinished(get, false, "/route/" + i, 200, null, 3_000_000L + i);
    }
  }

  private static Target ktrdr(int series, boolean scopeLabels) {
    KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("bench")
            .jvmMetrics(false)
            .tracing(false)
            .shutdownHook(false)
            .metricsScopeLabels(scopeLabels)
            // The same 14 classic buckets as the client_java side.
            .histogramMode(HistogramMode.CLASSIC)
            .environment(Map.of("OTEL_JAVA_METRICS_CARDINALITY_LIMIT", "20000"))
            .build();
    record(HttpServerMetrics.create(telemetry.openTelemetry()), series);
    return new Target(telemetry.metricsHandler()::handle, telemetry::close);
  }

  private static <R extends MetricReader & MultiCollector> Target otel(int series, R reader) {
    SdkMeterProvider provider =
        SdkMeterProvider.builder()
            .setResource(
                Resource.getDefault()
                    .merge(
                        Resource.builder()
                            .put(AttributeKey.stringKey("service.name"), "bench")
                            .build()))
            .registerMetricReader(reader, instrumentType -> 20_000)
            .build();
    record(
        HttpServerMetrics.create(OpenTelemetrySdk.builder().setMeterProvider(provider).build()),
        series);
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(reader);
    return new Target(new PrometheusScrapeHandler(registry)::handleRequest, provider::close);
  }

  private static Target clientJava(int series) {
    PrometheusRegistry prometheus = new PrometheusRegistry();
    Histogram histogram =
        Histogram.builder()
            .name("http_server_request_duration_seconds")
            .help("Duration of HTTP server requests.")
            .labelNames(
                "http_request_method", "http_response_status_code", "http_route", "url_scheme")
            .classicOnly()
            .classicUpperBounds(
                HttpServerMetrics.DURATION_BUCKETS.stream()
                    .mapToDouble(Double::doubleValue)
                    .toArray())
            .register(prometheus);
    for (int i = 0; i < series; i++) {
      histogram.labelValues("GET", "200", "/route/" + i, "http").observe(0.003 + i * 1e-9);
    }
    return new Target(new PrometheusScrapeHandler(prometheus)::handleRequest, () -> {});
  }

  /** One scrape of {@code target} with {@code headers}: the body's bytes. */
  static long scrape(Target target, Map<String, String> headers) {
    NullExchange exchange = new NullExchange(headers, false);
    try {
      target.handler().handle(exchange);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    if (exchange.bytes == 0) {
      throw new IllegalStateException("empty scrape");
    }
    return exchange.bytes;
  }
}
