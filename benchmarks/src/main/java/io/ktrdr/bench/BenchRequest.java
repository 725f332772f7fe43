package io.ktrdr.bench;

import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesGetter;
import java.util.List;

/**
 * A server request as the benchmark sees it: what the Javalin plugin reads from a servlet request,
 * held in plain fields, so that the benchmark measures the telemetry and not a servlet container.
 */
record BenchRequest(String method, String path, String query, String traceparent) {

  /** The same semantic-convention extraction the plugin's servlet getter does. */
  enum Getter
      implements HttpServerAttributesGetter<BenchRequest, Integer>, TextMapGetter<BenchRequest> {
    INSTANCE;

    @Override
    public String getHttpRequestMethod(BenchRequest request) {
      return request.method();
    }

    @Override
    public String getUrlScheme(BenchRequest request) {
      return "http";
    }

    @Override
    public String getUrlPath(BenchRequest request) {
      return request.path();
    }

    @Override
    public String getUrlQuery(BenchRequest request) {
      return request.query();
    }

    @Override
    public List<String> getHttpRequestHeader(BenchRequest request, String name) {
      return List.of();
    }

    @Override
    public Integer getHttpResponseStatusCode(
        BenchRequest request, Integer status, Throwable error) {
      return status;
    }

    @Override
    public List<String> getHttpResponseHeader(BenchRequest request, Integer status, String name) {
      return List.of();
    }

    @Override
    public String getNetworkProtocolName(BenchRequest request, Integer status) {
      return "http";
    }

    @Override
    public String getNetworkProtocolVersion(BenchRequest request, Integer status) {
      return "1.1";
    }

    @Override
    public Iterable<String> keys(BenchRequest request) {
      return List.of("traceparent");
    }

    @Override
    public String get(BenchRequest request, String key) {
      return request != null && "traceparent".equals(key) ? request.traceparent() : null;
    }
  }
}
