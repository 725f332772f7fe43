package io.ktrdr.telemetry.internal.errors;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import org.junit.jupiter.api.Test;

class SdkErrorsTest {

  @Test
  void aRegisteredSdkHasOneReporterUntilUnregistered() {
    try (OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder().setMeterProvider(SdkMeterProvider.builder().build()).build()) {
      TelemetryErrors errors = TelemetryErrors.create(sdk);
      SdkErrors.register(sdk, errors);
      try {
        assertThat(SdkErrors.of(sdk)).isSameAs(errors);
        assertThat(SdkErrors.of(sdk)).isSameAs(errors);
      } finally {
        SdkErrors.unregister(sdk);
      }
      TelemetryErrors unregistered = SdkErrors.of(sdk);
      assertThat(unregistered).isNotSameAs(errors).isNotSameAs(SdkErrors.of(sdk));
    }
  }
}
