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
            .addOperationMetrics(
                new MetricAttributes(
                    HttpClientMetrics.get(), MetricAttributes.CLIENT_DURATION_KEYS))
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

  // JDK 21 made HttpClient AutoCloseable, with shutdown(), shutdownNow(), awaitTermination() and
  // isTerminated(). The build targets 17, so these are declared without @Override: on 21+ they
  // override the base class's (which would otherwise act on this wrapper, not on the client that
  // owns the connections), and they reach the delegate's through method handles looked up once;
  // on 17 the delegate has none of them and there is nothing to close.

  /** Closes the wrapped client (JDK 21+: waits for its requests to finish); no-op on JDK 17. */
  public void close() {
    invoke(Lifecycle.CLOSE);
  }

  /** Starts an orderly shutdown of the wrapped client (JDK 21+); no-op on JDK 17. */
  public void shutdown() {
    invoke(Lifecycle.SHUTDOWN);
  }

  /** Shuts the wrapped client down at once (JDK 21+); no-op on JDK 17. */
  public void shutdownNow() {
    invoke(Lifecycle.SHUTDOWN_NOW);
  }

  /** Whether the wrapped client has terminated (JDK 21+); {@code false} on JDK 17. */
  public boolean isTerminated() {
    Object terminated = invoke(Lifecycle.IS_TERMINATED);
    return Boolean.TRUE.equals(terminated);
  }

  /**
   * Waits for the wrapped client to terminate (JDK 21+); {@code false} at once on JDK 17.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitTermination(Duration duration) throws InterruptedException {
    java.lang.invoke.MethodHandle handle = Lifecycle.AWAIT_TERMINATION;
    if (handle == null) {
      return false;
    }
    try {
      return (boolean) handle.invoke(delegate, duration);
    } catch (InterruptedException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  private @Nullable Object invoke(java.lang.invoke.@Nullable MethodHandle handle) {
    if (handle == null) {
      return null;
    }
    try {
      return handle.invoke(delegate);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /** {@link HttpClient}'s JDK 21 lifecycle methods, or null on an older JDK. */
  private static final class Lifecycle {
    static final java.lang.invoke.@Nullable MethodHandle CLOSE = find("close", void.class);
    static final java.lang.invoke.@Nullable MethodHandle SHUTDOWN = find("shutdown", void.class);
    static final java.lang.invoke.@Nullable MethodHandle SHUTDOWN_NOW =
        find("shutdownNow", void.class);
    static final java.lang.invoke.@Nullable MethodHandle IS_TERMINATED =
        find("isTerminated", boolean.class);
    static final java.lang.invoke.@Nullable MethodHandle AWAIT_TERMINATION =
        find("awaitTermination", boolean.class, Duration.class);

    private static java.lang.invoke.@Nullable MethodHandle find(
        String name, Class<?> returnType, Class<?>... parameters) {
      try {
        return java.lang.invoke.MethodHandles.publicLookup()
            .findVirtual(
                HttpClient.class,
                name,
                java.lang.invoke.MethodType.methodType(returnType, parameters));
      } catch (NoSuchMethodException | IllegalAccessException e) {
        return null; // JDK 17-20
      }
    }
  }
}
