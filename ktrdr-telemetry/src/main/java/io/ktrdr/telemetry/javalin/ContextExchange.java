package io.ktrdr.telemetry.javalin;

import io.javalin.http.Context;
import io.prometheus.metrics.exporter.common.PrometheusHttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import io.prometheus.metrics.exporter.common.PrometheusHttpResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Enumeration;

/** A Javalin request seen as a scrape exchange; writes straight to the servlet response. */
final class ContextExchange
    implements PrometheusHttpExchange, PrometheusHttpRequest, PrometheusHttpResponse {
  private final Context ctx;

  ContextExchange(Context ctx) {
    this.ctx = ctx;
  }

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
    return ctx.req().getQueryString();
  }

  @Override
  public Enumeration<String> getHeaders(String name) {
    return ctx.req().getHeaders(name);
  }

  @Override
  public String getMethod() {
    return ctx.req().getMethod();
  }

  @Override
  public String getRequestPath() {
    return ctx.path();
  }

  @Override
  public void setHeader(String name, String value) {
    ctx.res().setHeader(name, value);
  }

  @Override
  public OutputStream sendHeadersAndGetBody(int statusCode, int contentLength) throws IOException {
    ctx.status(statusCode);
    if (contentLength > 0) {
      ctx.res().setContentLength(contentLength);
    }
    return ctx.res().getOutputStream();
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
  public void close() {
    // Jetty completes the response when the handler returns.
  }
}
