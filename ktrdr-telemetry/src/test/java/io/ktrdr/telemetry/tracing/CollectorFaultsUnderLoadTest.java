package io.ktrdr.telemetry.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.internal.export.ExportReporter;
import io.ktrdr.telemetry.testing.Await;
import io.ktrdr.telemetry.testing.FaultyCollector;
import io.ktrdr.telemetry.testing.FaultyCollector.Mode;
import io.ktrdr.telemetry.testing.LogCapture;
import io.ktrdr.telemetry.testing.Scrape;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A collector that answers 429, then 503, then holds requests, then answers 200 with garbage, while
 * spans and log records arrive faster than a small queue holds: every item sent is either delivered
 * or counted in {@code ktrdr_telemetry_dropped_total} with its reason, exactly, and the log lines
 * give the same total.
 */
class CollectorFaultsUnderLoadTest {
  private static final int QUEUE = 64;
  private static final int BURST = 400;
  private static final Pattern RECOVERED =
      Pattern.compile(
          "Exporting (spans|log records) works again after \\d+ s; \\d+ failed exports, (\\d+)"
              + " items dropped during the outage .*");
  private static final Pattern QUEUE_FULL_LINE =
      Pattern.compile("Dropped (\\d+) (spans|log records) because the batch processor's queue.*");

  private long spansSent;
  private long logsSent;

  private static Scrape scrape(KtrdrTelemetry telemetry) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      PrometheusTextFormatWriter.create().write(out, telemetry.prometheusRegistry().scrape());
      return Scrape.parse(out.toString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long dropped(Scrape scrape, String signal, String reason) {
    return (long)
        scrape.value("ktrdr_telemetry_dropped_total", Map.of("signal", signal, "reason", reason));
  }

  private static long dropped(Scrape scrape, String signal) {
    List<Scrape.Sample> samples =
        scrape.samples("ktrdr_telemetry_dropped_total", s -> signal.equals(s.label("signal")));
    assertThat(samples).isNotEmpty();
    return (long) samples.stream().mapToDouble(Scrape.Sample::value).sum();
  }

  /** What the SDK itself counted as dropped for a full span queue. */
  private static long sdkQueueFull(Scrape scrape) {
    return (long)
        scrape
            .samples(
                "otel_sdk_processor_span_processed_span_total",
                s -> "queue_full".equals(s.label("error_type")))
            .stream()
            .mapToDouble(Scrape.Sample::value)
            .sum();
  }

  /** One burst: more spans and log records at once than the queues hold. */
  private void burst(Tracer tracer, Logger logs) {
    for (int i = 0; i < BURST; i++) {
      tracer.spanBuilder("load").startSpan().end();
      spansSent++;
      if (i % 2 == 0) {
        logs.logRecordBuilder().setBody("load").emit();
        logsSent++;
      }
    }
  }

  /**
   * Bursts in {@code mode} until the collector answered in it and both signals counted drops for
   * one of {@code reasons}.
   */
  private void phase(
      FaultyCollector collector,
      Mode mode,
      KtrdrTelemetry telemetry,
      Tracer tracer,
      Logger logs,
      String... reasons) {
    collector.mode(mode);
    Scrape start = scrape(telemetry);
    long spansBefore = counted(start, "spans", reasons);
    long logsBefore = counted(start, "logs", reasons);
    Await.until(
        mode + " answered and counted as " + String.join("/", reasons),
        Duration.ofSeconds(60),
        () -> {
          burst(tracer, logs);
          Scrape now = scrape(telemetry);
          return collector.requests(mode) > 0
              && counted(now, "spans", reasons) > spansBefore
              && counted(now, "logs", reasons) > logsBefore;
        });
  }

  private static long counted(Scrape scrape, String signal, String... reasons) {
    long sum = 0;
    for (String reason : reasons) {
      sum += dropped(scrape, signal, reason);
    }
    return sum;
  }

  /** The total the log lines give for {@code signal}: the outage's line and queue-full lines. */
  private static long logged(List<String> lines, String signal) {
    long total = 0;
    for (String line : lines) {
      Matcher recovered = RECOVERED.matcher(line);
      if (recovered.matches() && recovered.group(1).equals(signal)) {
        total += Long.parseLong(recovered.group(2));
      }
      Matcher queueFull = QUEUE_FULL_LINE.matcher(line);
      if (queueFull.matches() && queueFull.group(2).equals(signal)) {
        total += Long.parseLong(queueFull.group(1));
      }
    }
    return total;
  }

  @Test
  @Timeout(180)
  void everySpanAndLogRecordIsDeliveredOrCountedWithItsReason() {
    Map<String, String> env =
        Map.of(
            "OTEL_BSP_SCHEDULE_DELAY", "20",
            "OTEL_BSP_MAX_QUEUE_SIZE", Integer.toString(QUEUE),
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "16",
            "OTEL_BLRP_SCHEDULE_DELAY", "20",
            "OTEL_BLRP_MAX_QUEUE_SIZE", Integer.toString(QUEUE),
            "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "16",
            "OTEL_EXPORTER_OTLP_TIMEOUT", "1500",
            "KTRDR_LOGS_OTLP_ENABLED", "true");
    try (LogCapture log = LogCapture.of(ExportReporter.class);
        FaultyCollector collector = FaultyCollector.start();
        KtrdrTelemetry telemetry =
            KtrdrTelemetry.builder()
                .serviceName("faults")
                .otlpEndpoint(collector.endpoint())
                .environment(env)
                .shutdownTimeout(Duration.ofSeconds(5))
                .build()) {
      Tracer tracer = telemetry.openTelemetry().getTracer("load");
      Logger logs = telemetry.openTelemetry().getLogsBridge().get("load");

      phase(collector, Mode.TOO_MANY_REQUESTS, telemetry, tracer, logs, "export_failed", "timeout");
      phase(collector, Mode.UNAVAILABLE, telemetry, tracer, logs, "export_failed", "timeout");
      phase(collector, Mode.TARPIT, telemetry, tracer, logs, "timeout");
      phase(collector, Mode.GARBAGE_200, telemetry, tracer, logs, "invalid_response");
      collector.mode(Mode.OK);

      OpenTelemetrySdk sdk = (OpenTelemetrySdk) telemetry.openTelemetry();
      Await.until(
          "both signals recovered",
          Duration.ofSeconds(30),
          () -> {
            sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
            sdk.getSdkLoggerProvider().forceFlush().join(10, TimeUnit.SECONDS);
            return log.messages(Level.INFO).size() >= 2;
          });
      sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
      sdk.getSdkLoggerProvider().forceFlush().join(10, TimeUnit.SECONDS);

      Scrape scrape = scrape(telemetry);
      long spansDropped = dropped(scrape, "spans");
      long logsDropped = dropped(scrape, "logs");
      System.out.printf(
          "spans: sent %d, delivered %d, dropped %d (queue_full %d, export_failed %d, timeout %d,"
              + " invalid_response %d); SDK queue_full %s%n",
          spansSent,
          collector.spans(),
          spansDropped,
          dropped(scrape, "spans", "queue_full"),
          dropped(scrape, "spans", "export_failed"),
          dropped(scrape, "spans", "timeout"),
          dropped(scrape, "spans", "invalid_response"),
          sdkQueueFull(scrape));
      System.out.printf(
          "logs: sent %d, delivered %d, dropped %d (queue_full %d); lines: %s%n",
          logsSent,
          collector.logs(),
          logsDropped,
          dropped(scrape, "logs", "queue_full"),
          log.events().stream().map(e -> e.getFormattedMessage()).toList());

      // Everything sent is delivered or counted, exactly.
      assertThat(collector.spans() + spansDropped).isEqualTo(spansSent);
      assertThat(collector.logs() + logsDropped).isEqualTo(logsSent);
      // Queue-full drops are counted, and a garbage 200 is a failure.
      assertThat(dropped(scrape, "spans", "queue_full")).isPositive();
      assertThat(dropped(scrape, "logs", "queue_full")).isPositive();
      assertThat(dropped(scrape, "spans", "invalid_response")).isPositive();
      assertThat(dropped(scrape, "logs", "invalid_response")).isPositive();
      assertThat(dropped(scrape, "spans", "timeout")).isPositive();
      // The SDK's own count of queue-full drops agrees with ours.
      assertThat(sdkQueueFull(scrape)).isEqualTo(dropped(scrape, "spans", "queue_full"));
      // The log lines give the same totals.
      List<String> lines = log.events().stream().map(e -> e.getFormattedMessage()).toList();
      assertThat(logged(lines, "spans")).isEqualTo(spansDropped);
      assertThat(logged(lines, "log records")).isEqualTo(logsDropped);
    }
  }
}
