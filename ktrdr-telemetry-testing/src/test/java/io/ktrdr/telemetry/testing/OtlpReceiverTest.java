package io.ktrdr.telemetry.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class OtlpReceiverTest {
  private static void send(OtlpReceiver receiver, String spanName) {
    ExportTraceServiceRequest request =
        ExportTraceServiceRequest.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .addScopeSpans(
                        ScopeSpans.newBuilder().addSpans(Span.newBuilder().setName(spanName))))
            .build();
    try {
      HttpResponse<Void> response =
          Http.client()
              .send(
                  Http.request(receiver.endpoint() + "/v1/traces")
                      .header("Content-Type", "application/x-protobuf")
                      .POST(HttpRequest.BodyPublishers.ofByteArray(request.toByteArray()))
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
      assertThat(response.statusCode()).isEqualTo(200);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void aTimeoutNamesTheSpansReceivedUntilThenNotThoseAtTheStart() {
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      send(receiver, "first");
      AtomicBoolean sent = new AtomicBoolean();
      assertThatThrownBy(
              () ->
                  receiver.awaitSpans(
                      span -> {
                        // A span that arrives while waiting, and does not match either.
                        if (sent.compareAndSet(false, true)) {
                          send(receiver, "second");
                        }
                        return span.name().equals("wanted");
                      },
                      1,
                      Duration.ofMillis(300)))
          .isInstanceOf(AssertionError.class)
          .hasMessageEndingWith("; received so far: [first, second]");
    }
  }
}
