package io.ktrdr.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfileSummaryTest {
  @Test
  void componentsAreMatchedByPrefixInOrder() {
    assertThat(ProfileSummary.componentOf("io.ktrdr.telemetry.http.ServerTracing"))
        .isEqualTo("ktrdr-telemetry");
    assertThat(ProfileSummary.componentOf("io.ktrdr.bench.OtelFloor$Filter"))
        .isEqualTo("floor filter (OtelFloor)");
    assertThat(ProfileSummary.componentOf("io.ktrdr.bench.LoadTarget"))
        .isEqualTo("the app (LoadTarget)");
    assertThat(ProfileSummary.componentOf("io.opentelemetry.exporter.internal.marshal.Serializer"))
        .startsWith("OTel exporter");
    assertThat(ProfileSummary.componentOf("io.opentelemetry.sdk.trace.SdkSpan"))
        .startsWith("OTel SDK traces");
    assertThat(ProfileSummary.componentOf("io.opentelemetry.sdk.resources.Resource"))
        .startsWith("OTel API");
    assertThat(ProfileSummary.componentOf("kotlin.UnsafeLazyImpl")).startsWith("Javalin");
    assertThat(ProfileSummary.componentOf("java.util.HashMap")).isNull();
  }

  /** A real JFR recording of this test's own busy loop: its samples land on the app's row. */
  @Test
  void aRecordingIsAttributedAndTheRestIsWhatSamplesDoNotSee(@TempDir Path dir) throws Exception {
    Path jfr = dir.resolve("busy.jfr");
    try (Recording recording = new Recording()) {
      recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
      recording.start();
      long sum = 0;
      long until = System.nanoTime() + 600_000_000L;
      while (System.nanoTime() < until) {
        sum += busy(sum);
      }
      recording.stop();
      recording.dump(jfr);
      assertThat(sum).isNotZero();
    }

    ProfileSummary.Profile profile = ProfileSummary.read("busy", jfr, 1000, 10_000);

    assertThat(profile.total()).isPositive();
    assertThat(profile.samples().get("the app (LoadTarget)")).isGreaterThan(profile.total() / 2);
    String section = ProfileSummary.section(List.of(profile, profile), Duration.ofMillis(10));
    assertThat(section)
        .startsWith("<!-- profile:start -->")
        .endsWith("<!-- profile:end -->")
        .contains("| the app (LoadTarget) |", "| +0.00 |", "**10000.00**");
  }

  private static long busy(long seed) {
    long x = seed | 1;
    for (int i = 0; i < 10_000; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
    }
    return x & 0xff;
  }
}
