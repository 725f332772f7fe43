package io.ktrdr.telemetry.internal.scrape;

import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import java.util.Enumeration;
import org.jspecify.annotations.Nullable;

/**
 * A scrape request, carrying the time by which its collection must be done.
 *
 * <p>Internal: made by {@code MetricsHandler}, read by {@link SharedCollection}. Not part of the
 * API; it may change or disappear in any release.
 */
public final class BudgetedRequest implements PrometheusHttpRequest {
  private final PrometheusHttpRequest delegate;
  private final long deadlineNanos;

  public BudgetedRequest(PrometheusHttpRequest delegate, long deadlineNanos) {
    this.delegate = delegate;
    this.deadlineNanos = deadlineNanos;
  }

  public long deadlineNanos() {
    return deadlineNanos;
  }

  @Override
  public String getQueryString() {
    return delegate.getQueryString();
  }

  @Override
  public Enumeration<String> getHeaders(String name) {
    return delegate.getHeaders(name);
  }

  @Override
  public String getMethod() {
    return delegate.getMethod();
  }

  @Override
  public String getRequestPath() {
    return delegate.getRequestPath();
  }

  @Override
  public @Nullable String getHeader(String name) {
    return delegate.getHeader(name);
  }

  @Override
  public @Nullable String getParameter(String name) {
    return delegate.getParameter(name);
  }

  @Override
  public String @Nullable [] getParameterValues(String name) {
    return delegate.getParameterValues(name);
  }
}
