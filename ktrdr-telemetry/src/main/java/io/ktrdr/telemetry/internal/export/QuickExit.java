package io.ktrdr.telemetry.internal.export;

import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporterBuilder;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporterBuilder;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
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
 * down does not keep a CLI or batch job waiting at exit (left alone when retries are turned off,
 * {@code OTEL_JAVA_EXPORTER_OTLP_RETRY_ENABLED=false}). OTLP/HTTP exporters also get the sender
 * check of {@link OtlpResponseCheck}, so that a 2xx that is not an OTLP response is a failure.
 * Exporters that are not OTLP are left alone.
 */
public final class QuickExit {
  private QuickExit() {}

  private static boolean retries(ConfigProperties config) {
    return config.getBoolean("otel.java.exporter.otlp.retry.enabled", true);
  }

  public static SpanExporter spans(
      SpanExporter exporter, ExportReporter reporter, ConfigProperties config) {
    SpanExporter rebuilt = exporter;
    if (exporter instanceof OtlpHttpSpanExporter) {
      OtlpHttpSpanExporterBuilder builder =
          ((OtlpHttpSpanExporter) exporter)
              .toBuilder().setComponentLoader(OtlpResponseCheck.loader(reporter));
      if (retries(config)) {
        builder.setRetryPolicy(reporter.retryPolicy());
      }
      rebuilt = builder.build();
    } else if (exporter instanceof OtlpGrpcSpanExporter && retries(config)) {
      rebuilt =
          ((OtlpGrpcSpanExporter) exporter)
              .toBuilder().setRetryPolicy(reporter.retryPolicy()).build();
    }
    if (rebuilt != exporter) {
      exporter.shutdown();
    }
    return rebuilt;
  }

  public static LogRecordExporter logs(
      LogRecordExporter exporter, ExportReporter reporter, ConfigProperties config) {
    LogRecordExporter rebuilt = exporter;
    if (exporter instanceof OtlpHttpLogRecordExporter) {
      OtlpHttpLogRecordExporterBuilder builder =
          ((OtlpHttpLogRecordExporter) exporter)
              .toBuilder().setComponentLoader(OtlpResponseCheck.loader(reporter));
      if (retries(config)) {
        builder.setRetryPolicy(reporter.retryPolicy());
      }
      rebuilt = builder.build();
    } else if (exporter instanceof OtlpGrpcLogRecordExporter && retries(config)) {
      rebuilt =
          ((OtlpGrpcLogRecordExporter) exporter)
              .toBuilder().setRetryPolicy(reporter.retryPolicy()).build();
    }
    if (rebuilt != exporter) {
      exporter.shutdown();
    }
    return rebuilt;
  }

  public static MetricExporter metrics(
      MetricExporter exporter, ExportReporter reporter, ConfigProperties config) {
    MetricExporter rebuilt = exporter;
    if (exporter instanceof OtlpHttpMetricExporter) {
      OtlpHttpMetricExporterBuilder builder =
          ((OtlpHttpMetricExporter) exporter)
              .toBuilder().setComponentLoader(OtlpResponseCheck.loader(reporter));
      if (retries(config)) {
        builder.setRetryPolicy(reporter.retryPolicy());
      }
      rebuilt = builder.build();
    } else if (exporter instanceof OtlpGrpcMetricExporter && retries(config)) {
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
