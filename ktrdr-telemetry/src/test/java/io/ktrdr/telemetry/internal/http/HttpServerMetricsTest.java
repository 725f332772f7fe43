package io.ktrdr.telemetry.internal.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.metrics.ExemplarFilter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

class HttpServerMetricsTest {

  @Test
  void attributeSetsAreBuiltOncePerMethodRouteAndStatus() {
    ServerAttributes cache = new ServerAttributes(10);
    int get = ServerAttributes.methodIndex("GET");

    Attributes first = cache.duration(get, false, "/api/v1/data/{symbol}", 200, null);
    Attributes second = cache.duration(get, false, "/api/v1/data/{symbol}", 200, null);
    Attributes otherStatus = cache.duration(get, false, "/api/v1/data/{symbol}", 404, null);

    assertThat(second).isSameAs(first);
    assertThat(otherStatus).isNotSameAs(first);
    assertThat(cache.duration(get, false, null, 404, null))
        .isSameAs(cache.duration(get, false, null, 404, null));
    assertThat(cache.active(get, true)).isSameAs(cache.active(get, true));
  }

  @Test
  void routesPastTheCapAreStillCorrectButNotCached() {
    ServerAttributes cache = new ServerAttributes(1);
    int get = ServerAttributes.methodIndex("GET");
    cache.duration(get, false, "/a", 200, null);

    Attributes overflow = cache.duration(get, false, "/b", 200, null);

    assertThat(overflow.asMap().values()).contains("/b");
    assertThat(cache.duration(get, false, "/b", 200, null))
        .isNotSameAs(overflow)
        .isEqualTo(overflow);
  }

  @Test
  void methodsOutsideTheStandardNineAreOther() {
    assertThat(ServerAttributes.METHODS[ServerAttributes.methodIndex("PATCH")]).isEqualTo("PATCH");
    assertThat(ServerAttributes.METHODS[ServerAttributes.methodIndex("get")]).isEqualTo("_OTHER");
    assertThat(ServerAttributes.METHODS[ServerAttributes.methodIndex("PROPFIND")])
        .isEqualTo("_OTHER");
    assertThat(ServerAttributes.METHODS[ServerAttributes.methodIndex(null)]).isEqualTo("_OTHER");
  }

  @Test
  void recordsSecondsWithTheAdvisedBuckets() {
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    try (SdkMeterProvider provider =
        SdkMeterProvider.builder().registerMetricReader(reader).build()) {
      Meter meter = provider.get("test");
      HttpServerMetrics metrics =
          new HttpServerMetrics(meter, new TelemetryErrors(meter, System::nanoTime));
      int post = HttpServerMetrics.methodIndex("POST");

      metrics.requestStarted(post, false);
      metrics.requestFinished(post, false, "/items", 201, null, 250_000_000L);

      java.util.Collection<MetricData> collected = reader.collectAllMetrics();
      assertThat(
              collected.stream()
                  .filter(m -> m.getName().equals("http.server.active_requests"))
                  .flatMap(m -> m.getLongSumData().getPoints().stream())
                  .mapToLong(p -> p.getValue()))
          .containsExactly(0L);
      MetricData duration =
          collected.stream()
              .filter(m -> m.getName().equals("http.server.request.duration"))
              .findFirst()
              .orElseThrow();
      HistogramPointData point = duration.getHistogramData().getPoints().iterator().next();
      assertThat(duration.getUnit()).isEqualTo("s");
      assertThat(point.getSum()).isEqualTo(0.25);
      // The buckets the HTTP semantic conventions advise, in seconds.
      assertThat(point.getBoundaries())
          .containsExactly(
              0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);
    }
  }

  @Test
  void aSampledRequestIsTheDurationsExemplarButNeverTheActiveRequestsOne() {
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    try (SdkMeterProvider provider =
        SdkMeterProvider.builder()
            .registerMetricReader(reader)
            .setExemplarFilter(ExemplarFilter.traceBased())
            .build()) {
      Meter meter = provider.get("test");
      HttpServerMetrics metrics =
          new HttpServerMetrics(meter, new TelemetryErrors(meter, System::nanoTime));
      int get = HttpServerMetrics.methodIndex("GET");
      SpanContext sampled =
          SpanContext.create(
              "0af7651916cd43dd8448eb211c80319c",
              "b7ad6b7169203331",
              TraceFlags.getSampled(),
              TraceState.getDefault());

      try (Scope scope = Context.root().with(Span.wrap(sampled)).makeCurrent()) {
        metrics.requestStarted(get, false);
        metrics.requestFinished(get, false, "/items", 200, null, 1_000_000L);
      }

      java.util.Collection<MetricData> collected = reader.collectAllMetrics();
      assertThat(
              collected.stream()
                  .filter(m -> m.getName().equals("http.server.request.duration"))
                  .flatMap(m -> m.getHistogramData().getPoints().stream())
                  .flatMap(p -> p.getExemplars().stream())
                  .map(e -> e.getSpanContext().getTraceId()))
          .containsExactly(sampled.getTraceId());
      assertThat(
              collected.stream()
                  .filter(m -> m.getName().equals("http.server.active_requests"))
                  .flatMap(m -> m.getLongSumData().getPoints().stream())
                  .flatMap(p -> p.getExemplars().stream()))
          .isEmpty();
    }
  }

  @Test
  void statusCodesAreBoxedOnceAndOutsideTheRangeStillRight() {
    assertThat(StatusCodes.boxed(200)).isEqualTo(200).isSameAs(StatusCodes.boxed(200));
    assertThat(StatusCodes.boxed(100)).isSameAs(StatusCodes.boxed(100));
    assertThat(StatusCodes.boxed(599)).isEqualTo(599).isSameAs(StatusCodes.boxed(599));
    assertThat(StatusCodes.boxed(600)).isEqualTo(600);
    assertThat(StatusCodes.boxed(99)).isEqualTo(99);
    assertThat(StatusCodes.boxed(-1)).isEqualTo(-1);
  }

  @Test
  void protocolVersionsAreConstantsForTheCommonOnesAndNullForWhatIsNotHttp() {
    assertThat(HttpProtocol.version("HTTP/1.1"))
        .isEqualTo("1.1")
        .isSameAs(HttpProtocol.version("HTTP/1.1"));
    assertThat(HttpProtocol.version("HTTP/2.0")).isSameAs(HttpProtocol.version("HTTP/2.0"));
    assertThat(HttpProtocol.version("HTTP/1.0")).isEqualTo("1.0");
    assertThat(HttpProtocol.version("HTTP/3")).isEqualTo("3");
    assertThat(HttpProtocol.version("SPDY/3")).isNull();
    assertThat(HttpProtocol.version(null)).isNull();
  }

  @Test
  void recordingFailuresNeverReachTheCallerAndAreCountedOnce() {
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    try (SdkMeterProvider provider =
        SdkMeterProvider.builder().registerMetricReader(reader).build()) {
      TelemetryErrors errors = new TelemetryErrors(provider.get("errors"), System::nanoTime);
      HttpServerMetrics metrics = new HttpServerMetrics(throwingMeter(), errors);

      assertThatCode(
              () -> {
                for (int i = 0; i < 5; i++) {
                  metrics.requestStarted(2, false);
                  metrics.requestFinished(2, false, "/x", 200, null, 1000);
                }
              })
          .doesNotThrowAnyException();
      assertThat(errors.failures(TelemetryErrors.HTTP_SERVER_METRICS)).isEqualTo(10);
    }
  }

  /** A meter whose instruments throw on every recording, built with dynamic proxies. */
  private static Meter throwingMeter() {
    InvocationHandler handler =
        new InvocationHandler() {
          @Override
          public Object invoke(Object proxy, java.lang.reflect.Method method, Object[] args) {
            if (method.getName().equals("record") || method.getName().equals("add")) {
              throw new IllegalStateException("instrument broken");
            }
            Class<?> type = method.getReturnType();
            if (type.isInterface()) {
              return Proxy.newProxyInstance(
                  getClass().getClassLoader(), new Class<?>[] {type}, this);
            }
            return null;
          }
        };
    MeterProvider provider =
        (MeterProvider)
            Proxy.newProxyInstance(
                HttpServerMetricsTest.class.getClassLoader(),
                new Class<?>[] {MeterProvider.class},
                handler);
    return provider.get("broken");
  }
}
