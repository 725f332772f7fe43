package io.ktrdr.telemetry.internal.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.reflect.Method;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ExportReporter#retryPolicy()} replaces OpenTelemetry's retry predicate with a copy of it
 * (OpenTelemetry has no public API for its default): these tests compare the copy with what
 * OpenTelemetry's OTLP/HTTP exporter does, so that an upgrade that changes it fails here.
 */
class ExportRetryPinTest {
  private static final Duration FAST = Duration.ofMillis(1);

  /** OpenTelemetry's own default predicate, the one its OkHttp sender uses when none is set. */
  private static boolean openTelemetryRetries(IOException e) throws Exception {
    Class<?> interceptor =
        Class.forName("io.opentelemetry.exporter.sender.okhttp.internal.RetryInterceptor");
    Method method = interceptor.getDeclaredMethod("isRetryableException", IOException.class);
    method.setAccessible(true);
    return (boolean) method.invoke(null, e);
  }

  @Test
  void theCopyRetriesExactlyTheExceptionsOpenTelemetryRetries() throws Exception {
    List<IOException> failures =
        List.of(
            new SocketTimeoutException("timeout"),
            new SocketTimeoutException(),
            new ConnectException("Failed to connect to /127.0.0.1:4318"),
            new SocketException("Connection reset"),
            new NoRouteToHostException("No route to host"),
            new UnknownHostException("collector.invalid"),
            new InterruptedIOException("timeout"),
            new IOException("unexpected end of stream on http://127.0.0.1:4318/..."),
            new EOFException("\\n not found"),
            new SSLHandshakeException("PKIX path building failed"),
            new IOException());
    for (IOException failure : failures) {
      assertThat(ExportReporter.retryable(failure))
          .as(
              "retry of %s: OpenTelemetry's default changed, update ExportReporter.retryable",
              failure)
          .isEqualTo(openTelemetryRetries(failure));
    }
  }

  /**
   * Against a real collector answering {@code status}: the reporter's policy makes as many attempts
   * as OpenTelemetry's default policy (both with millisecond back-off so the test is quick).
   */
  @ParameterizedTest
  @ValueSource(ints = {400, 404, 408, 413, 429, 500, 501, 502, 503, 504})
  void anHttpStatusIsTriedAsOftenAsOpenTelemetryTriesIt(int status) throws Exception {
    RetryPolicy defaults =
        RetryPolicy.builder().setInitialBackoff(FAST).setMaxBackoff(FAST).build();
    RetryPolicy ours =
        ExportReporter.spans(() -> null, () -> null).retryPolicy().toBuilder()
            .setInitialBackoff(FAST)
            .setMaxBackoff(FAST)
            .build();
    int openTelemetry = attempts(status, defaults);
    assertThat(attempts(status, ours)).as("attempts at %s", status).isEqualTo(openTelemetry);
    boolean retried = status == 429 || (status >= 502 && status <= 504);
    // OkHttp itself repeats a 408 once, below OpenTelemetry's retries.
    int once = status == 408 ? 2 : 1;
    assertThat(openTelemetry)
        .as("OpenTelemetry's attempts at %s", status)
        .isEqualTo(retried ? defaults.getMaxAttempts() : once);
  }

  private static int attempts(int status, RetryPolicy policy) throws IOException {
    AtomicInteger requests = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
    server.createContext(
        "/v1/traces",
        exchange -> {
          try (exchange) {
            exchange.getRequestBody().readAllBytes();
            requests.incrementAndGet();
            exchange.sendResponseHeaders(status, -1);
          }
        });
    server.start();
    try (OtlpHttpSpanExporter exporter =
        OtlpHttpSpanExporter.builder()
            .setEndpoint("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/traces")
            .setRetryPolicy(policy)
            .build()) {
      assertThat(exporter.export(List.of(span())).join(10, TimeUnit.SECONDS).isSuccess()).isFalse();
      return requests.get();
    } finally {
      server.stop(0);
    }
  }

  private static SpanData span() {
    return TestSpanData.builder()
        .setName("pinned")
        .setKind(SpanKind.INTERNAL)
        .setStartEpochNanos(1)
        .setEndEpochNanos(2)
        .setHasEnded(true)
        .setStatus(StatusData.unset())
        .build();
  }
}
