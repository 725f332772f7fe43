package io.ktrdr.telemetry.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.testing.OtlpReceiver.ReceivedSpan;
import io.ktrdr.telemetry.testing.Scrape;
import io.ktrdr.telemetry.testing.Scrape.Sample;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.List;
import java.util.stream.Collectors;

/** What both server filters must record, checked the same way for each. */
final class ServerFilterChecks {
  static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  static final String PARENT_ID = "b7ad6b7169203331";

  /** A sampled {@code traceparent} header value, child of {@link #PARENT_ID}. */
  static final String TRACEPARENT = "00-" + TRACE_ID + "-" + PARENT_ID + "-01";

  private ServerFilterChecks() {}

  /** The duration histogram's {@code _count} samples of a scrape body. */
  static List<Sample> durationCounts(String scrape) {
    return Scrape.parse(scrape).samples().stream()
        .filter(s -> s.name().equals("http_server_request_duration_seconds_count"))
        .collect(Collectors.toList());
  }

  /** One request of {@code GET route} answered {@code status}, and nothing else counted. */
  static void countedOnce(List<Sample> counts, String route, int status) {
    assertThat(counts)
        .singleElement()
        .satisfies(
            sample -> {
              assertThat(sample.labels())
                  .containsEntry("http_request_method", "GET")
                  .containsEntry("http_route", route)
                  .containsEntry("http_response_status_code", Integer.toString(status))
                  .containsEntry("url_scheme", "http")
                  .doesNotContainKey("error_type");
              assertThat(sample.value()).isEqualTo(1.0);
            });
  }

  /** One request of {@code route} failed by an {@code IllegalStateException}: a 500. */
  static void countedAsFailed(List<Sample> counts, String route) {
    assertThat(counts)
        .singleElement()
        .satisfies(
            sample ->
                assertThat(sample.labels())
                    .containsEntry("http_route", route)
                    .containsEntry("http_response_status_code", "500")
                    .containsEntry("error_type", "java.lang.IllegalStateException"));
  }

  /** A server span of {@code route}, child of the {@link #TRACEPARENT} caller. */
  static void childOfTheCaller(ReceivedSpan span, String route) {
    assertThat(span.traceId()).isEqualTo(TRACE_ID);
    assertThat(span.parentSpanId()).isEqualTo(PARENT_ID);
    assertThat(span.span().getKind()).isEqualTo(SpanKind.SPAN_KIND_SERVER);
    assertThat(span.scope()).isEqualTo("io.ktrdr.telemetry.http");
    assertThat(span.attributes())
        .containsEntry("http.route", route)
        .containsEntry("http.request.method", "GET");
  }

  /** A span failed by the exception it records. */
  static void failed(ReceivedSpan span) {
    assertThat(span.span().getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(span.span().getEventsList())
        .anySatisfy(event -> assertThat(event.getName()).isEqualTo("exception"));
  }
}
