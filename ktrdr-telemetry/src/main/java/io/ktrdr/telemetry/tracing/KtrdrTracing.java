package io.ktrdr.telemetry.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.jdbc.datasource.JdbcTelemetry;
import java.net.http.HttpClient;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Tracing helpers for the code between the HTTP layer and the database: blocks in spans, context
 * that follows work to other threads, traced HTTP clients and data sources.
 *
 * <pre>{@code
 * KtrdrTracing tracing = telemetry.tracing();
 * List<Bar> bars = tracing.inSpan("data_loading",
 *     Attributes.of(DATA_SYMBOL, "AAPL", DATA_TIMEFRAME, "1d"),
 *     () -> repository.bars("AAPL", "1d"));
 * ExecutorService workers = tracing.wrap(Executors.newFixedThreadPool(4));
 * HttpClient client = tracing.httpClient(HttpClient.newHttpClient());
 * DataSource db = tracing.dataSource(h2DataSource);
 * }</pre>
 *
 * <p>Spans are created even when no exporter is configured, so logs keep their trace ids.
 */
public final class KtrdrTracing {
  private final OpenTelemetry openTelemetry;
  private final Tracer tracer;

  private KtrdrTracing(OpenTelemetry openTelemetry, String instrumentationScope) {
    this.openTelemetry = openTelemetry;
    this.tracer = openTelemetry.getTracer(instrumentationScope);
  }

  /** Helpers over {@code openTelemetry}; spans they start carry {@code instrumentationScope}. */
  public static KtrdrTracing create(OpenTelemetry openTelemetry, String instrumentationScope) {
    return new KtrdrTracing(
        Objects.requireNonNull(openTelemetry, "openTelemetry"),
        Objects.requireNonNull(instrumentationScope, "instrumentationScope"));
  }

  /** The tracer behind the helpers, for spans the helpers do not cover. */
  public Tracer tracer() {
    return tracer;
  }

  /**
   * Runs {@code body} in a new child span of the current one. An exception is recorded on the span,
   * the span's status set to ERROR, and the exception rethrown unchanged.
   */
  public <T extends @Nullable Object, E extends Exception> T inSpan(
      String name, Attributes attributes, CheckedSupplier<T, E> body) throws E {
    Span span = tracer.spanBuilder(name).setAllAttributes(attributes).startSpan();
    try (Scope ignored = span.makeCurrent()) {
      return body.get();
    } catch (Throwable t) {
      span.recordException(t);
      span.setStatus(StatusCode.ERROR, t.getClass().getSimpleName());
      throw t;
    } finally {
      span.end();
    }
  }

  /** {@link #inSpan(String, Attributes, CheckedSupplier)} for a block without a result. */
  public <E extends Exception> void inSpan(
      String name, Attributes attributes, CheckedRunnable<E> body) throws E {
    this.<@Nullable Void, E>inSpan(
        name,
        attributes,
        () -> {
          body.run();
          return null;
        });
  }

  /** Tasks submitted to the returned executor run in the context of the thread that submitted. */
  public ExecutorService wrap(ExecutorService executor) {
    return Context.taskWrapping(executor);
  }

  /** Like {@link #wrap(ExecutorService)} for a plain executor. */
  public Executor wrap(Executor executor) {
    return Context.taskWrapping(executor);
  }

  /**
   * A client whose requests get a client span ({@code GET}, with the semantic-convention
   * attributes) and carry the current context in {@code traceparent}/{@code baggage} headers, so
   * that the server continues the trace. Also records {@code http.client.request.duration}.
   */
  public HttpClient httpClient(HttpClient client) {
    return TracingHttpClient.wrap(client, openTelemetry);
  }

  /** A data source whose statements get database client spans (OpenTelemetry JDBC). */
  public DataSource dataSource(DataSource dataSource) {
    return JdbcTelemetry.create(openTelemetry).wrap(dataSource);
  }

  /** The current trace id, or the empty string when no span is current. */
  public static String currentTraceId() {
    SpanContext context = Span.current().getSpanContext();
    return context.isValid() ? context.getTraceId() : "";
  }
}
