package io.ktrdr.telemetry;

import io.ktrdr.telemetry.internal.ExportReporter;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/**
 * Gives the OTLP exporters autoconfigure built the retry policy of their {@link ExportReporter}:
 * the same retries while the application runs, none once it is closing, so that a collector that is
 * down does not keep a CLI or batch job waiting at exit. Left alone when retries are turned off
 * ({@code OTEL_JAVA_EXPORTER_OTLP_RETRY_ENABLED=false}) or the exporter is not OTLP.
 */
final class QuickExit {
  private QuickExit() {}

  private static boolean retries(ConfigProperties config) {
    return config.getBoolean("otel.java.exporter.otlp.retry.enabled", true);
  }

  static SpanExporter spans(
      SpanExporter exporter, ExportReporter reporter, ConfigProperties config) {
    SpanExporter rebuilt = exporter;
    if (!retries(config)) {
      return exporter;
    } else if (exporter instanceof OtlpHttpSpanExporter) {
      rebuilt =
          ((OtlpHttpSpanExporter) exporter)
              .toBuilder().setRetryPolicy(reporter.retryPolicy()).build();
    } else if (exporter instanceof OtlpGrpcSpanExporter) {
      rebuilt =
          ((OtlpGrpcSpanExporter) exporter)
              .toBuilder().setRetryPolicy(reporter.retryPolicy()).build();
    }
    if (rebuilt != exporter) {
      exporter.shutdown();
    }
    return rebuilt;
  }

  static LogRecordExporter logs(
      LogRecordExporter exporter, ExportReporter reporter, ConfigProperties config) {
    LogRecordExporter rebuilt = exporter;
    if (!retries(config)) {
      return exporter;
    } else if (exporter instanceof OtlpHttpLogRecordExporter) {
      rebuilt =
          ((OtlpHttpLogRecordExporter) exporter)
              .toBuilder().setRetryPolicy(reporter.retryPolicy()).build();
    } else if (exporter instanceof OtlpGrpcLogRecordExporter) {
      rebuilt =
          ((OtlpGrpcLogRecordExporter) exporter)
              .toBuilder().setRetryPolicy(reporter.retryPolicy()).build();
    }
    if (rebuilt != exporter) {
      exporter.shutdown();
    }
    return rebuilt;
  }

  static MetricExporter metrics(
      MetricExporter exporter, ExportReporter reporter, ConfigProperties config) {
    MetricExporter rebuilt = exporter;
    if (!retries(config)) {
      return exporter;
    } else if (exporter instanceof OtlpHttpMetricExporter) {
      rebuilt =
          ((OtlpHttpMetricExporter) exporter)
              .toBuilder().setRetryPolicy(reporter.retryPolicy()).build();
    } else if (exporter instanceof OtlpGrpcMetricExporter) {
      rebuilt =
          ((OtlpGrpcMetricExporter) exporter)
              .toBuilder().setRetryPolicy(reporter.retryPolicy()).build();
    }
    if (rebuilt != exporter) {
      exporter.shutdown();
    }
    return rebuilt;
  }
}
