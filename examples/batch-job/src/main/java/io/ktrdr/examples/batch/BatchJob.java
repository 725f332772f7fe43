package io.ktrdr.examples.batch;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.tracing.KtrdrTracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A batch job: processes the items it reads from standard input, one line each, in a span per item
 * under one span for the run, serving its metrics on the standalone server while it works. Then
 * {@code main} returns: nothing here closes the telemetry, the process must exit by itself (the
 * library's threads may not keep it alive) after its spans are flushed.
 */
public final class BatchJob {
  private static final AttributeKey<String> ITEM = AttributeKey.stringKey("batch.item");

  private BatchJob() {}

  public static void main(String[] args) throws IOException {
    KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("batch-job-example")
            .metricsServerPort(9464) // KTRDR_METRICS_PORT overrides it
            .shutdownTimeout(Duration.ofSeconds(3))
            .build();
    LongCounter processed =
        telemetry
            .meter("io.ktrdr.examples.batch")
            .counterBuilder("batch.items.processed")
            .setDescription("Items the job processed.")
            .build();
    KtrdrTracing tracing = telemetry.tracing();

    BufferedReader input =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.out.println("reading items from standard input");
    tracing.inSpan(
        "batch_run",
        Attributes.empty(),
        () -> {
          String line;
          while ((line = input.readLine()) != null) {
            String item = line.strip();
            tracing.inSpan(
                "process_item",
                Attributes.of(ITEM, item),
                () -> {
                  processed.add(1);
                  System.out.println("processed " + item);
                });
          }
        });
    System.out.println("input done; main returns");
  }
}
