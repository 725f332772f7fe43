package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.GlobalOpenTelemetry;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** Setting up telemetry changes nothing global that the application did not ask for. */
class NoSideEffectsTest {

  @Test
  void setupLeavesJavaUtilLoggingAndTheGlobalInstanceAlone() {
    Logger root = LogManager.getLogManager().getLogger("");
    List<Handler> handlersBefore = List.of(root.getHandlers());
    try (KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("guest")
            .otlpEndpoint("http://127.0.0.1:1")
            .environment(Map.of())
            .shutdownHook(false)
            .build()) {
      assertThat(List.of(root.getHandlers())).isEqualTo(handlersBefore);
      for (String exporterLogger :
          List.of(
              "io.opentelemetry.exporter.internal.http.HttpExporter",
              "io.opentelemetry.exporter.internal.grpc.GrpcExporter")) {
        assertThat(Logger.getLogger(exporterLogger).getLevel()).as(exporterLogger).isNull();
      }
      assertThat(
              GlobalOpenTelemetry.getTracer("probe")
                  .spanBuilder("probe")
                  .startSpan()
                  .getSpanContext()
                  .isValid())
          .as("the global instance stays a no-op unless registerGlobal(true)")
          .isFalse();
    }
  }
}
