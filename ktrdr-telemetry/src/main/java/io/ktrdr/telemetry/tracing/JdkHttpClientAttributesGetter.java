package io.ktrdr.telemetry.tracing;

import io.opentelemetry.instrumentation.api.semconv.http.HttpClientAttributesGetter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Semantic-convention attributes of a JDK {@link HttpRequest} and its response. */
enum JdkHttpClientAttributesGetter
    implements HttpClientAttributesGetter<HttpRequest, HttpResponse<?>> {
  INSTANCE;

  @Override
  public String getHttpRequestMethod(HttpRequest request) {
    return request.method();
  }

  @Override
  public String getUrlFull(HttpRequest request) {
    return request.uri().toString();
  }

  @Override
  public List<String> getHttpRequestHeader(HttpRequest request, String name) {
    return request.headers().allValues(name);
  }

  @Override
  public @Nullable Integer getHttpResponseStatusCode(
      HttpRequest request, @Nullable HttpResponse<?> response, @Nullable Throwable error) {
    return response == null ? null : response.statusCode();
  }

  @Override
  public List<String> getHttpResponseHeader(
      HttpRequest request, @Nullable HttpResponse<?> response, String name) {
    return response == null ? List.of() : response.headers().allValues(name);
  }

  @Override
  public String getNetworkProtocolName(HttpRequest request, @Nullable HttpResponse<?> response) {
    return "http";
  }

  @Override
  public @Nullable String getNetworkProtocolVersion(
      HttpRequest request, @Nullable HttpResponse<?> response) {
    if (response == null) {
      return null;
    }
    return response.version() == HttpClient.Version.HTTP_2 ? "2" : "1.1";
  }

  @Override
  public String getServerAddress(HttpRequest request) {
    return request.uri().getHost();
  }

  @Override
  public Integer getServerPort(HttpRequest request) {
    int port = request.uri().getPort();
    if (port > 0) {
      return port;
    }
    return "https".equals(request.uri().getScheme()) ? 443 : 80;
  }
}
