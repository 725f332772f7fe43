package io.ktrdr.telemetry.testing;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.opentelemetry.api.common.Attributes;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A process that makes spans and exits at once, for the exit tests. Arguments: the OTLP endpoint,
 * the number of spans, the mode, and the shutdown timeout in milliseconds. Modes: {@code close}
 * (calls close()), {@code hook} (main returns; the shutdown hook flushes), {@code server} (as
 * {@code hook}, with the standalone metrics server running). The batch delay is one minute, so only
 * the flush at exit can deliver the spans. Prints {@code main returned} last.
 */
public final class ShortLivedJob {
  private ShortLivedJob() {}

  public static void main(String[] args) throws Exception {
    String endpoint = args[0];
    int spans = Integer.parseInt(args[1]);
    String mode = args[2];
    Duration shutdownTimeout = Duration.ofMillis(Long.parseLong(args[3]));
    Map<String, String> env = new HashMap<>();
    env.put("OTEL_BSP_SCHEDULE_DELAY", "60000");
    if (mode.equals("server")) {
      env.put("KTRDR_METRICS_PORT", "0");
    }
    KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("short-lived-job")
            .otlpEndpoint(endpoint)
            .shutdownTimeout(shutdownTimeout)
            .environment(env)
            .build();
    for (int i = 0; i < spans; i++) {
      telemetry.tracing().inSpan("job-step", Attributes.empty(), () -> null);
    }
    if (mode.equals("close")) {
      telemetry.close();
    }
    System.out.println("main returned");
  }
}
