package io.ktrdr.telemetry.javalin;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerRoute;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanNameExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanStatusExtractor;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Server spans after the HTTP semantic conventions, built with OpenTelemetry's instrumentation API:
 * parent from the incoming {@code traceparent} (a malformed one starts a new trace), name {@code
 * METHOD route} once the route is known, status ERROR on 5xx.
 */
final class ServerTracing {
  static final String SCOPE = "io.ktrdr.telemetry.javalin";

  private ServerTracing() {}

  static Instrumenter<HttpServletRequest, HttpServletResponse> instrumenter(
      OpenTelemetry openTelemetry) {
    ServletAttributesGetter getter = ServletAttributesGetter.INSTANCE;
    return Instrumenter.<HttpServletRequest, HttpServletResponse>builder(
            openTelemetry, SCOPE, HttpSpanNameExtractor.create(getter))
        .setSpanStatusExtractor(HttpSpanStatusExtractor.create(getter))
        .addAttributesExtractor(HttpServerAttributesExtractor.create(getter))
        .addContextCustomizer(HttpServerRoute.create(getter))
        .buildServerInstrumenter(getter);
  }
}
