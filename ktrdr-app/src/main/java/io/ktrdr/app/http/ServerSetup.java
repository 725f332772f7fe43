package io.ktrdr.app.http;

import io.javalin.config.JavalinConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The HTTP server settings the API and the workers share: JSON errors (also for what Jetty refuses
 * before routing: a bad URI, headers too large), idle and slow-body timeouts, body size limit, and
 * the headers every response carries.
 */
public final class ServerSetup {
  /** Server threads at most: connections beyond wait in the selector, costing no thread. */
  public static final int MAX_THREADS = 200;

  /** The largest body any route accepts; routes set smaller limits of their own. */
  public static final int MAX_BODY = 256 * 1024;

  private ServerSetup() {}

  /**
   * The client for calls between the API and its workers: redirects never followed (a worker URL
   * cannot bounce the API elsewhere), a short connect timeout.
   */
  public static java.net.http.HttpClient client(Duration connectTimeout) {
    return java.net.http.HttpClient.newBuilder()
        .followRedirects(java.net.http.HttpClient.Redirect.NEVER)
        .connectTimeout(connectTimeout)
        .build();
  }

  /** Applies the shared settings and installs {@code catalog}'s routes behind {@code guard}. */
  public static void configure(
      JavalinConfig config, RouteCatalog catalog, RequestGuard guard, Duration idleTimeout) {
    configure(config, catalog, guard, idleTimeout, Clock.systemUTC());
  }

  /**
   * As {@link #configure(JavalinConfig, RouteCatalog, RequestGuard, Duration)}, with the clock that
   * paces the logging of unexpected failures ({@link ServerErrors}).
   */
  static void configure(
      JavalinConfig config,
      RouteCatalog catalog,
      RequestGuard guard,
      Duration idleTimeout,
      Clock errorClock) {
    // Headers that never end are closed after the idle timeout too, however slowly they trickle.
    RequestHeadTimeout headTimeout = new RequestHeadTimeout(idleTimeout);
    config.startup.showJavalinBanner = false;
    config.http.maxRequestSize = MAX_BODY;
    org.eclipse.jetty.util.thread.QueuedThreadPool threads =
        new org.eclipse.jetty.util.thread.QueuedThreadPool(MAX_THREADS, 8, 30_000);
    threads.setName("ktrdr-http");
    config.jetty.threadPool = threads;
    // A client that goes away mid-body is its own failure, not the server's.
    config.jetty.clientAbortStatus = 400;
    Json.configure(config, catalog, new ServerErrors(errorClock));
    config.jetty.modifyHttpConfiguration(
        http -> {
          http.setIdleTimeout(idleTimeout.toMillis());
          http.setSendServerVersion(false);
          http.setSendXPoweredBy(false);
          http.setRequestHeaderSize(8 * 1024);
          http.addCustomizer(headTimeout);
        });
    config.jetty.modifyServer(
        server -> {
          server.setErrorHandler(new JsonErrorHandler());
          // Javalin adds its connector after this hook: set the timeout as the server starts.
          server.addEventListener(
              new org.eclipse.jetty.util.component.LifeCycle.Listener() {
                @Override
                public void lifeCycleStarting(org.eclipse.jetty.util.component.LifeCycle event) {
                  for (var connector : server.getConnectors()) {
                    if (connector instanceof org.eclipse.jetty.server.AbstractConnector c) {
                      c.setIdleTimeout(idleTimeout.toMillis());
                    }
                    connector.addEventListener(headTimeout);
                  }
                }
              });
        });
    config.jetty.modifyServletContextHandler(
        context -> context.setErrorHandler(new JsonErrorHandler()));
    config.routes.before(
        ctx -> {
          ctx.header("X-Content-Type-Options", "nosniff");
          ctx.header("X-Frame-Options", "DENY");
          ctx.header("Referrer-Policy", "no-referrer");
          ctx.header("Cache-Control", "no-store");
        });
    catalog.install(config, guard);
  }

  /** Writes Jetty's own errors (before any route runs) in the API's JSON error shape. */
  static final class JsonErrorHandler extends ErrorHandler {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      int status = response.getStatus() >= 400 ? response.getStatus() : 500;
      Object attribute = request.getAttribute(ERROR_STATUS);
      if (attribute instanceof Integer code && code >= 400) {
        status = code;
      }
      String message = HttpStatus.getMessage(status);
      String body;
      try {
        body = Json.MAPPER.writeValueAsString(Json.error(Json.reason(status), message));
      } catch (RuntimeException e) {
        body = "{\"error\":\"internal_error\",\"message\":\"error\"}";
      }
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.getHeaders().put("X-Content-Type-Options", "nosniff");
      response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
      return true;
    }

    @Override
    protected void generateResponse(
        Request request,
        Response response,
        int code,
        String message,
        Throwable cause,
        Callback callback)
        throws IOException {
      handle(request, response, callback);
    }
  }
}
