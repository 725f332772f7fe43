package io.ktrdr.bench;

import io.prometheus.metrics.exporter.common.PrometheusHttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import io.prometheus.metrics.exporter.common.PrometheusHttpResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collections;
import java.util.Enumeration;

/** A scrape request for the text format whose response body is counted and discarded. */
final class NullExchange
    implements PrometheusHttpExchange, PrometheusHttpRequest, PrometheusHttpResponse {
  long bytes;

  private final OutputStream sink =
      new OutputStream() {
        @Override
        public void write(int b) {
          bytes++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
          bytes += len;
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
    return Collections.emptyEnumeration();
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
