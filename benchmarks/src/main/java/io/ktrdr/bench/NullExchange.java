package io.ktrdr.bench;

import io.prometheus.metrics.exporter.common.PrometheusHttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import io.prometheus.metrics.exporter.common.PrometheusHttpResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;

/**
 * A scrape request (the text format unless request headers ask for another) whose response body is
 * counted and discarded, or kept when asked.
 */
final class NullExchange
    implements PrometheusHttpExchange, PrometheusHttpRequest, PrometheusHttpResponse {
  long bytes;
  private final Map<String, String> headers;
  private final ByteArrayOutputStream kept;

  NullExchange() {
    this(Map.of(), false);
  }

  /**
   * @param headers request headers, e.g. {@code Accept} for protobuf
   * @param keep whether to keep the body for {@link #body()}
   */
  NullExchange(Map<String, String> headers, boolean keep) {
    this.headers = headers;
    this.kept = keep ? new ByteArrayOutputStream() : null;
  }

  /** The response body, when kept. */
  byte[] body() {
    return kept.toByteArray();
  }

  private final OutputStream sink =
      new OutputStream() {
        @Override
        public void write(int b) {
          bytes++;
          if (kept != null) {
            kept.write(b);
          }
        }

        @Override
        public void write(byte[] b, int off, int len) {
          bytes += len;
          if (kept != null) {
            kept.write(b, off, len);
          }
        }
      };

  @Override
  public PrometheusHttpRequest getRequest() {
    return this;
  }

  @Override
  public PrometheusHttpResponse getResponse() {
    return this;
  }

  @Override
  public String getQueryString() {
    return null;
  }

  @Override
  public Enumeration<String> getHeaders(String name) {
    String value = headers.get(name);
    return value == null ? Collections.emptyEnumeration() : Collections.enumeration(List.of(value));
  }

  @Override
  public String getMethod() {
    return "GET";
  }

  @Override
  public String getRequestPath() {
    return "/metrics";
  }

  @Override
  public void setHeader(String name, String value) {}

  @Override
  public OutputStream sendHeadersAndGetBody(int statusCode, int contentLength) {
    return sink;
  }

  @Override
  public void handleException(IOException e) throws IOException {
    throw e;
  }

  @Override
  public void handleException(RuntimeException e) {
    throw e;
  }

  @Override
  public void close() {}
}
