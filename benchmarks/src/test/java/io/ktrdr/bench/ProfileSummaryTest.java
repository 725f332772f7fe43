package io.ktrdr.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfileSummaryTest {
  private static final String REQUEST =
      "[JettyServerThreadPool-41 tid=5021];java/lang/Thread.run;"
          + "org/eclipse/jetty/ee10/servlet/ServletHandler$MappedServlet.handle;";
  private static final String OURS =
      REQUEST + "io/ktrdr/telemetry/http/ServletTelemetryFilter.doFilter;";
  private static final String FLOOR = REQUEST + "io/ktrdr/bench/OtelFloor.doFilter;";

  @Test
  void eachStackGoesToTheFirstPartWhoseRuleMatches() {
    assertThat(ProfileSummary.partOf("[C2 CompilerThread0 tid=12];Compile::Compile"))
        .isEqualTo("JIT compiler threads");
    assertThat(ProfileSummary.partOf("[G1 Conc#0 tid=9];G1ConcurrentMark::mark"))
        .isEqualTo("GC threads");
    assertThat(
            ProfileSummary.partOf(
                "[BatchSpanProcessor_WorkerThread-1 tid=40];"
                    + "io/opentelemetry/exporter/internal/marshal/Serializer.writeString"))
        .startsWith("span export");
    assertThat(ProfileSummary.partOf("[okhttp-dispatch-3 tid=77];okio/Buffer.write"))
        .startsWith("span export");
    // Inside the chain is the server's and the app's, except the route naming hooks.
    assertThat(
            ProfileSummary.partOf(
                OURS
                    + "org/eclipse/jetty/ee10/servlet/ServletHandler$ChainEnd.doFilter;"
                    + "io/javalin/http/servlet/JavalinServlet.handle"))
        .isEqualTo(ProfileSummary.FRAMEWORK);
    assertThat(
            ProfileSummary.partOf(
                OURS
                    + "org/eclipse/jetty/ee10/servlet/ServletHandler$ChainEnd.doFilter;"
                    + "io/ktrdr/telemetry/javalin/RouteCapture.handle"))
        .isEqualTo("route naming inside the chain");
    assertThat(
            ProfileSummary.partOf(
                OURS
                    + "io/ktrdr/telemetry/http/ServerRequests.enter;"
                    + "io/opentelemetry/context/propagation/MultiTextMapPropagator.extract;"
                    + "io/ktrdr/telemetry/http/ServletAttributesGetter.get"))
        .isEqualTo("trace context extraction");
    assertThat(
            ProfileSummary.partOf(
                OURS
                    + "io/ktrdr/telemetry/http/ServerTracing.start;"
                    + "io/opentelemetry/instrumentation/api/semconv/http/"
                    + "HttpServerAttributesExtractor.onStart"))
        .startsWith("span attributes (semantic-convention");
    assertThat(
            ProfileSummary.partOf(
                OURS
                    + "io/opentelemetry/sdk/trace/SdkSpanBuilder.startSpan;"
                    + "io/opentelemetry/sdk/trace/SdkTracerInstrumentation.startSpan"))
        .startsWith("SDK's own span metrics");
    assertThat(
            ProfileSummary.partOf(
                OURS
                    + "io/ktrdr/telemetry/internal/http/HttpServerMetrics.requestFinished;"
                    + "io/opentelemetry/sdk/metrics/internal/exemplar/"
                    + "DoubleExplicitBucketExemplarReservoir.offerDoubleMeasurement"))
        .isEqualTo("exemplars");
    assertThat(
            ProfileSummary.partOf(
                OURS + "io/ktrdr/telemetry/internal/http/HttpServerMetrics.requestFinished"))
        .startsWith("HTTP metrics");
    assertThat(ProfileSummary.partOf(FLOOR + "io/opentelemetry/sdk/trace/SdkSpanBuilder.startSpan"))
        .startsWith("span start");
    assertThat(ProfileSummary.partOf(FLOOR + "io/opentelemetry/sdk/trace/SdkSpan.endInternal"))
        .startsWith("span end");
    assertThat(ProfileSummary.partOf(FLOOR + "io/opentelemetry/sdk/trace/SdkSpan.setAttribute"))
        .startsWith("span attributes written by the filter");
    assertThat(ProfileSummary.partOf(FLOOR + "org/eclipse/jetty/server/Request.getAttribute"))
        .startsWith("filter's own code");
    // A request thread outside any filter (bare), and the kernel under it.
    assertThat(ProfileSummary.partOf(REQUEST + "do_syscall_64_[k]"))
        .isEqualTo(ProfileSummary.FRAMEWORK);
    assertThat(ProfileSummary.partOf("[VM Thread tid=8];VMThread::run"))
        .isEqualTo(ProfileSummary.OTHER);
  }

  @Test
  void samplesTimesTheIntervalOverRequestsAndTheExcessOfTracingOverFloorPlusMetrics(
      @TempDir Path dir) throws Exception {
    // 1,000 requests, 100 µs per sample: 10 samples are 1 µs per request.
    ProfileSummary.Profile bare = profile(dir, "bare", REQUEST + "x 100\n");
    ProfileSummary.Profile floor =
        profile(
            dir,
            "floor",
            REQUEST
                + "x 100\n"
                + FLOOR
                + "io/opentelemetry/sdk/trace/SdkSpanBuilder.startSpan 30\n");
    ProfileSummary.Profile metrics =
        profile(
            dir,
            "metrics",
            REQUEST
                + "x 100\n"
                + OURS
                + "io/ktrdr/telemetry/internal/http/HttpServerMetrics.m 10\n");
    ProfileSummary.Profile tracing =
        profile(
            dir,
            "tracing",
            REQUEST
                + "x 100\n"
                + OURS
                + "io/ktrdr/telemetry/internal/http/HttpServerMetrics.m 10\n"
                + OURS
                + "io/opentelemetry/sdk/trace/SdkSpanBuilder.startSpan 35\n"
                + OURS
                + "io/opentelemetry/instrumentation/api/semconv/http/"
                + "HttpServerAttributesExtractor.onStart 12\n");

    assertThat(tracing.total()).isEqualTo(157);
    assertThat(tracing.microsPerRequest("span start (SDK builder, ids, sampler)", 100))
        .isEqualTo(3.5);
    String section = ProfileSummary.section(List.of(bare, floor, metrics, tracing), 100);
    assertThat(section)
        .startsWith("<!-- profile:start -->")
        .endsWith("<!-- profile:end -->")
        .contains("| bare | floor | metrics | tracing | tracing over floor + metrics |")
        .contains("| span start (SDK builder, ids, sampler) | 0.00 | 3.00 | 0.00 | 3.50 | +0.50 |")
        .contains(
            "| HTTP metrics (histogram, active requests) | 0.00 | 0.00 | 1.00 | 1.00 | +0.00 |")
        .contains(
            "| **sampled CPU per request** | **10.00** | **13.00** | **11.00** | **15.70** | **+1.70** |")
        .contains("| share of its core the target used; steal | 99 %; 1.2 % |")
        .contains(
            "tracing's largest parts beyond the floor and metrics-only together are span"
                + " attributes (semantic-convention extractors, getters) (+1.20 µs) and span start"
                + " (SDK builder, ids, sampler) (+0.50 µs).")
        .doesNotContain("JIT compiler threads");
    // Without the four set-ups there is no excess column.
    assertThat(ProfileSummary.section(List.of(bare, tracing), 100))
        .doesNotContain("tracing over floor + metrics |");
  }

  @Test
  void aLineThatIsNotACollapsedStackIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("broken.collapsed");
    Files.writeString(file, REQUEST + "x 10\nnot a count here\n");

    assertThatThrownBy(() -> ProfileSummary.read("broken", file, 10, 1, 1, 0))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("broken.collapsed")
        .hasMessageContaining("not a count here");
  }

  private static ProfileSummary.Profile profile(Path dir, String mode, String collapsed)
      throws Exception {
    Path file = dir.resolve(mode + ".collapsed");
    Files.writeString(file, collapsed);
    return ProfileSummary.read(mode, file, 1000, 20, 0.99, 0.012);
  }
}
