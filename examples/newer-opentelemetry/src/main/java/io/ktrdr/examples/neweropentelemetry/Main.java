package io.ktrdr.examples.neweropentelemetry;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import java.io.IOException;

/**
 * A worker built against whatever OpenTelemetry version the application chose: it serves {@code
 * /metrics} from the library's standalone server ({@code KTRDR_METRICS_PORT}), does one traced unit
 * of work at start, and runs until its standard input closes.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws IOException {
    try (KtrdrTelemetry telemetry = KtrdrTelemetry.setup("newer-opentelemetry-example")) {
      LongCounter work =
          telemetry
              .meter("io.ktrdr.examples.neweropentelemetry")
              .counterBuilder("example.work")
              .setDescription("Units of work done.")
              .build();
      telemetry.tracing().inSpan("example_work", Attributes.empty(), () -> work.add(1));
      System.out.println("metrics on port " + telemetry.metricsServerPort().orElseThrow());
      while (System.in.read() >= 0) {
        // Runs until the parent closes standard input (or ends the process).
      }
    }
  }
}
