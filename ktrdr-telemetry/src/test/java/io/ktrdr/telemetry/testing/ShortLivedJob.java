package io.ktrdr.telemetry.testing;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.opentelemetry.api.common.Attributes;
import java.util.Map;

/**
 * A process that makes spans and exits at once, for the flush-on-exit test. Arguments: the OTLP
 * endpoint, the number of spans, and {@code close} (calls close()) or {@code hook} (relies on the
 * shutdown hook). The batch delay is one minute, so only the flush at exit can deliver the spans.
 */
public final class ShortLivedJob {
  private ShortLivedJob() {}

  public static void main(String[] args) throws Exception {
    String endpoint = args[0];
    int spans = Integer.parseInt(args[1]);
    boolean close = args[2].equals("close");
    KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("short-lived-job")
            .otlpEndpoint(endpoint)
            .environment(Map.of("OTEL_BSP_SCHEDULE_DELAY", "60000"))
            .build();
    for (int i = 0; i < spans; i++) {
      telemetry.tracing().inSpan("job-step", Attributes.empty(), () -> null);
    }
    if (close) {
      telemetry.close();
    }
  }
}
