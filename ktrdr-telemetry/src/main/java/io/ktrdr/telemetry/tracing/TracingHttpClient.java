package io.ktrdr.telemetry.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.opentelemetry.instrumentation.api.instrumenter.SpanKindExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpClientAttributesExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpClientMetrics;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanNameExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanStatusExtractor;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.jspecify.annotations.Nullable;

/**
 * A JDK {@link HttpClient} that traces every request: a client span named after the method, the
 * semantic-convention attributes, the current context injected as W3C {@code traceparent} (and
 * {@code baggage}) headers, and the {@code http.client.request.duration} histogram. Everything else
 * is delegated to the wrapped client.
 *
 * <pre>{@code
 * HttpClient client = telemetry.tracing().httpClient(HttpClient.newHttpClient());
 * client.send(HttpRequest.newBuilder(workerUri).POST(body).build(), BodyHandlers.ofString());
 * }</pre>
 */
final class TracingHttpClient extends HttpClient {
  private static final String SCOPE = "io.ktrdr.telemetry.http-client";
  private static final TextMapSetter<HttpRequest.Builder> SETTER =
      (builder, key, value) -> {
        if (builder != null) {
          builder.setHeader(key, value);
        }
      };

  private final HttpClient delegate;
  private final OpenTelemetry openTelemetry;
  private final Instrumenter<HttpRequest, HttpResponse<?>> instrumenter;

  private TracingHttpClient(HttpClient delegate, OpenTelemetry openTelemetry) {
    this.delegate = delegate;
    this.openTelemetry = openTelemetry;
    JdkHttpClientAttributesGetter getter = JdkHttpClientAttributesGetter.INSTANCE;
    this.instrumenter =
        Instrumenter.<HttpRequest, HttpResponse<?>>builder(
                openTelemetry, SCOPE, HttpSpanNameExtractor.create(getter))
            .setSpanStatusExtractor(HttpSpanStatusExtractor.create(getter))
            .addAttributesExtractor(HttpClientAttributesExtractor.create(getter))
            .addOperationMetrics(HttpClientMetrics.get())
            .buildInstrumenter(SpanKindExtractor.alwaysClient());
  }

  /** Wraps {@code delegate}; requests are traced with {@code openTelemetry}. */
  static HttpClient wrap(HttpClient delegate, OpenTelemetry openTelemetry) {
    if (delegate instanceof TracingHttpClient) {
      return delegate;
    }
    return new TracingHttpClient(delegate, openTelemetry);
  }

  private HttpRequest inject(Context context, HttpRequest request) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(request, (name, value) -> true);
    openTelemetry.getPropagators().getTextMapPropagator().inject(context, builder, SETTER);
    return builder.build();
  }

  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    Context parent = Context.current();
    if (!instrumenter.shouldStart(parent, request)) {
      return delegate.send(request, handler);
    }
    Context context = instrumenter.start(parent, request);
    HttpResponse<T> response = null;
    Throwable error = null;
    try (Scope ignored = context.makeCurrent()) {
      response = delegate.send(inject(context, request), handler);
      return response;
    } catch (IOException | InterruptedException | RuntimeException e) {
      error = e;
      throw e;
    } finally {
      instrumenter.end(context, request, response, error);
    }
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    return sendAsync(request, handler, null);
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request,
      HttpResponse.BodyHandler<T> handler,
      HttpResponse.@Nullable PushPromiseHandler<T> pushPromiseHandler) {
    Context parent = Context.current();
    if (!instrumenter.shouldStart(parent, request)) {
      return delegate.sendAsync(request, handler, pushPromiseHandler);
    }
    Context context = instrumenter.start(parent, request);
    CompletableFuture<HttpResponse<T>> future;
    try (Scope ignored = context.makeCurrent()) {
      future = delegate.sendAsync(inject(context, request), handler, pushPromiseHandler);
    } catch (RuntimeException e) {
      instrumenter.end(context, request, null, e);
      throw e;
    }
    return future.whenComplete(
        (response, error) -> instrumenter.end(context, request, response, error));
  }

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return delegate.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return delegate.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return delegate.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return delegate.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return delegate.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return delegate.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return delegate.authenticator();
  }

  @Override
  public Version version() {
    return delegate.version();
  }

  @Override
  public Optional<Executor> executor() {
    return delegate.executor();
  }
}
