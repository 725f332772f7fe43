package io.ktrdr.telemetry.http;

import io.ktrdr.telemetry.internal.http.HttpProtocol;
import io.ktrdr.telemetry.internal.http.StatusCodes;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesGetter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Semantic-convention attributes and propagation headers of a servlet request. */
enum ServletAttributesGetter
    implements
        HttpServerAttributesGetter<HttpServletRequest, HttpServletResponse>,
        TextMapGetter<HttpServletRequest>, ServerTracing.StartAttributes<HttpServletRequest> {
  INSTANCE;

  @Override
  public String urlPath(HttpServletRequest request) {
    return getUrlPath(request);
  }

  /** The container's parse of the Host header (or its own address without one). */
  @Override
  public @Nullable String serverAddress(HttpServletRequest request) {
    return request.getServerName();
  }

  @Override
  public int serverPort(HttpServletRequest request) {
    return request.getServerPort();
  }

  @Override
  public String getHttpRequestMethod(HttpServletRequest request) {
    return request.getMethod();
  }

  @Override
  public String getUrlScheme(HttpServletRequest request) {
    return request.getScheme();
  }

  @Override
  public String getUrlPath(HttpServletRequest request) {
    return request.getRequestURI();
  }

  @Override
  public @Nullable String getUrlQuery(HttpServletRequest request) {
    return request.getQueryString();
  }

  /**
   * Asked for about eight headers per recorded span ({@code forwarded} three times, {@code
   * x-forwarded-*}, {@code host}, {@code user-agent}), most of them absent. An absent header costs
   * one scan and no allocation ({@link HttpServletRequest#getHeader}); Jetty's {@link
   * HttpServletRequest#getHeaders} allocates an enumeration and an iterator even for no value, so
   * it is asked only for a header that is there, for its repeated values.
   */
  @Override
  public List<String> getHttpRequestHeader(HttpServletRequest request, String name) {
    String first = request.getHeader(name);
    if (first == null) {
      // Its iterator is a shared one: the extractors loop over every list they are given.
      return Collections.emptyList();
    }
    Enumeration<String> values = request.getHeaders(name);
    if (values != null && values.hasMoreElements()) {
      values.nextElement(); // first
    }
    if (values == null || !values.hasMoreElements()) {
      return List.of(first);
    }
    List<String> all = new ArrayList<>();
    all.add(first);
    while (values.hasMoreElements()) {
      all.add(values.nextElement());
    }
    return all;
  }

  @Override
  public Integer getHttpResponseStatusCode(
      HttpServletRequest request, HttpServletResponse response, @Nullable Throwable error) {
    return StatusCodes.boxed(response.getStatus());
  }

  @Override
  public List<String> getHttpResponseHeader(
      HttpServletRequest request, HttpServletResponse response, String name) {
    return new ArrayList<>(response.getHeaders(name));
  }

  @Override
  public @Nullable String getNetworkProtocolName(
      HttpServletRequest request, @Nullable HttpServletResponse response) {
    String protocol = request.getProtocol();
    return protocol != null && protocol.startsWith("HTTP/") ? "http" : null;
  }

  @Override
  public @Nullable String getNetworkProtocolVersion(
      HttpServletRequest request, @Nullable HttpServletResponse response) {
    return HttpProtocol.version(request.getProtocol());
  }

  @Override
  public @Nullable String getNetworkPeerAddress(
      HttpServletRequest request, @Nullable HttpServletResponse response) {
    return request.getRemoteAddr();
  }

  @Override
  public @Nullable Integer getNetworkPeerPort(
      HttpServletRequest request, @Nullable HttpServletResponse response) {
    return request.getRemotePort();
  }

  @Override
  public @Nullable String getNetworkLocalAddress(
      HttpServletRequest request, @Nullable HttpServletResponse response) {
    return request.getLocalAddr();
  }

  @Override
  public @Nullable Integer getNetworkLocalPort(
      HttpServletRequest request, @Nullable HttpServletResponse response) {
    return request.getLocalPort();
  }

  @Override
  public Iterable<String> keys(HttpServletRequest request) {
    return Collections.list(request.getHeaderNames());
  }

  @Override
  public @Nullable String get(@Nullable HttpServletRequest request, String key) {
    return request == null ? null : request.getHeader(key);
  }
}
