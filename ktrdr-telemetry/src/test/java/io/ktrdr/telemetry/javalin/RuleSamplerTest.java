package io.ktrdr.telemetry.javalin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.opentelemetry.api.trace.Span;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code OTEL_TRACES_SAMPLER=ktrdr_rules} with {@code KTRDR_TRACES_SAMPLER_DROP_PATHS}: the paths
 * are dropped on a real server, every other request goes to the parent-based ratio.
 */
class RuleSamplerTest {

  @Test
  void ktrdrRulesDropsTheHealthCheckAndTracesTheRest() {
    try (OtlpReceiver receiver = OtlpReceiver.start();
        TestApp app =
            TestApp.start(
                builder ->
                    builder
                        .otlpEndpoint(receiver.endpoint())
                        .environment(
                            Map.of(
                                "OTEL_BSP_SCHEDULE_DELAY", "50",
                                "OTEL_TRACES_SAMPLER", "ktrdr_rules",
                                "KTRDR_TRACES_SAMPLER_DROP_PATHS", "/health, /internal/*")),
                plugin -> {},
                (config, telemetry) -> {
                  for (String path :
                      List.of("/health", "/healthz", "/internal/ready", "/sampled")) {
                    config.routes.get(
                        path,
                        ctx ->
                            ctx.result(
                                String.valueOf(Span.current().getSpanContext().isSampled())));
                  }
                })) {
      assertThat(Http.get(app.url("/health")).body()).isEqualTo("false");
      assertThat(Http.get(app.url("/internal/ready")).body()).isEqualTo("false");
      assertThat(Http.get(app.url("/healthz")).body()).isEqualTo("true");
      assertThat(Http.get(app.url("/sampled")).body()).isEqualTo("true");

      ReceivedSpan sampled = receiver.awaitSpan("GET /sampled");
      assertThat(sampled.attribute("url.path")).isEqualTo("/sampled");
    }
  }

  @Test
  void otherRequestsFollowTheRatioOfTheSamplerArgument() {
    try (TestApp app =
        TestApp.start(
            builder ->
                builder.environment(
                    Map.of(
                        "OTEL_TRACES_SAMPLER", "ktrdr_rules",
                        "OTEL_TRACES_SAMPLER_ARG", "0",
                        "KTRDR_TRACES_SAMPLER_DROP_PATHS", "/health")),
            plugin -> {},
            (config, telemetry) ->
                config.routes.get(
                    "/sampled",
                    ctx ->
                        ctx.result(String.valueOf(Span.current().getSpanContext().isSampled()))))) {
      assertThat(Http.get(app.url("/sampled")).body()).isEqualTo("false");
    }
  }

  @Test
  void aBadRatioFailsStartUpNamingTheKey() {
    assertThatThrownBy(
            () ->
                KtrdrTelemetry.builder()
                    .shutdownHook(false)
                    .environment(
                        Map.of(
                            "OTEL_TRACES_SAMPLER", "ktrdr_rules",
                            "OTEL_TRACES_SAMPLER_ARG", "2",
                            "KTRDR_TRACES_SAMPLER_DROP_PATHS", "/health"))
                    .build())
        .hasMessageContaining("otel.traces.sampler.arg=2.0: expected a ratio from 0 to 1");
  }
}
