package io.ktrdr.app.http;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.io.EndPoint;

/**
 * Checks a request before its route's handler runs, cheapest first: credentials (401), the browser
 * checks on state-changing requests ({@code Host} and {@code Origin}, 403), the content type (415)
 * and the body size (413). The body is read here, within its route's limit and by at most {@link
 * #CONCURRENT_BODIES} requests at once, so that slow uploads cannot take every server thread.
 */
public final class RequestGuard {
  /** Requests reading a body at the same time; beyond, 503 at once. */
  static final int CONCURRENT_BODIES = 32;

  /** The whole body must arrive within this time, or the connection is closed (slow bodies). */
  static final Duration BODY_TIMEOUT = Duration.ofSeconds(5);

  /**
   * The deadlines of slow bodies, and of slow request heads ({@link RequestHeadTimeout}). Almost
   * every deadline is cancelled long before it is due; without remove-on-cancel a cancelled one
   * (and the connection its task refers to) would stay queued until its due time, so a stream of
   * short connections would keep thousands of closed ones alive.
   */
  static final ScheduledThreadPoolExecutor DEADLINES = deadlines();

  private static ScheduledThreadPoolExecutor deadlines() {
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            runnable -> {
              Thread thread = new Thread(runnable, "ktrdr-http-deadline");
              thread.setDaemon(true);
              return thread;
            });
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }

  private static final String BODY = "ktrdr.body";

  private final Credentials credentials;
  private final Set<String> allowedHosts;
  private final Set<String> allowedOrigins;
  private final Semaphore bodies = new Semaphore(CONCURRENT_BODIES);

  /**
   * @param allowedHosts host names accepted in {@code Host} on state-changing requests, besides the
   *     loopback names
   * @param allowedOrigins browser origins allowed to change state, besides the page's own
   */
  public RequestGuard(
      Credentials credentials, List<String> allowedHosts, List<String> allowedOrigins) {
    this.credentials = credentials;
    this.allowedHosts =
        Stream.concat(Stream.of("localhost", "127.0.0.1", "[::1]"), allowedHosts.stream())
            .map(h -> h.toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());
    this.allowedOrigins =
        allowedOrigins.stream()
            .map(o -> o.toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());
  }

  public Credentials credentials() {
    return credentials;
  }

  /** Runs every check of {@code route}; throws the {@link ApiException} of the first that fails. */
  void check(Context ctx, RouteCatalog.Route route) {
    RouteCatalog.Doc doc = route.doc();
    credentials.require(ctx, doc.access());
    if (changesState(route.method()) && doc.access() != Access.CLUSTER) {
      checkBrowser(ctx, doc.access());
    }
    if (doc.maxBody() > 0) {
      readBody(ctx, doc.maxBody());
    }
  }

  private static boolean changesState(HandlerType method) {
    return method == HandlerType.POST
        || method == HandlerType.PUT
        || method == HandlerType.PATCH
        || method == HandlerType.DELETE;
  }

  /** DNS rebinding and cross-site requests: the Host must be ours, the Origin ours or allowed. */
  private void checkBrowser(Context ctx, Access access) {
    String host = ctx.header("Host");
    String hostName = host == null ? "" : hostName(host);
    if (!allowedHosts.contains(hostName)) {
      throw credentials.forbidden(
          access,
          "Host '"
              + abbreviate(host)
              + "' is not accepted for this request; list it in KTRDR_ALLOWED_HOSTS");
    }
    String origin = ctx.header("Origin");
    if (origin == null) {
      return;
    }
    String normalized = origin.toLowerCase(Locale.ROOT);
    boolean sameOrigin =
        normalized.equals("http://" + host.toLowerCase(Locale.ROOT))
            || normalized.equals("https://" + host.toLowerCase(Locale.ROOT));
    if (!sameOrigin && !allowedOrigins.contains(normalized)) {
      throw credentials.forbidden(
          access,
          "Origin '"
              + abbreviate(origin)
              + "' may not change state here; list it in KTRDR_ALLOWED_ORIGINS");
    }
  }

  private static String hostName(String host) {
    String value = host.toLowerCase(Locale.ROOT).strip();
    if (value.startsWith("[")) {
      int end = value.indexOf(']');
      return end < 0 ? value : value.substring(0, end + 1);
    }
    int colon = value.indexOf(':');
    return colon < 0 ? value : value.substring(0, colon);
  }

  private void readBody(Context ctx, int limit) {
    String type = ctx.contentType();
    if (type == null
        || !type.toLowerCase(Locale.ROOT).strip().matches("application/json\\s*(;.*)?")) {
      throw ApiException.unsupportedMediaType(
          "Content-Type must be application/json, was "
              + (type == null ? "missing" : abbreviate(type)));
    }
    long declared = ctx.req().getContentLengthLong();
    if (declared > limit) {
      throw ApiException.tooLarge(
          "The request body is " + declared + " bytes; this endpoint accepts at most " + limit);
    }
    if (!bodies.tryAcquire()) {
      throw new ApiException(
          503, "busy", "Too many requests are sending a body right now; retry shortly");
    }
    EndPoint endPoint =
        ServletContextRequest.getServletContextRequest(ctx.req())
            .getConnectionMetaData()
            .getConnection()
            .getEndPoint();
    ScheduledFuture<?> deadline =
        DEADLINES.schedule(
            () -> endPoint.close(new TimeoutException("request body too slow")),
            BODY_TIMEOUT.toMillis(),
            TimeUnit.MILLISECONDS);
    try (InputStream in = ctx.req().getInputStream()) {
      byte[] body = in.readNBytes(limit + 1);
      if (!deadline.cancel(false)) {
        throw new ApiException(
            408, "request_timeout", "The request body did not arrive within " + BODY_TIMEOUT);
      }
      if (body.length > limit) {
        throw ApiException.tooLarge("The request body exceeds the limit of " + limit + " bytes");
      }
      ctx.attribute(BODY, body);
    } catch (IOException | RuntimeException e) {
      if (e instanceof ApiException) {
        throw (ApiException) e;
      }
      int status = deadline.isDone() && !deadline.isCancelled() ? 408 : 400;
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof HttpException http && http.getCode() >= 400 && http.getCode() < 500) {
          status = http.getCode();
          break;
        }
      }
      throw new ApiException(
          status, "incomplete_body", "The request body was not received completely");
    } finally {
      deadline.cancel(false);
      bodies.release();
    }
  }

  /** The body read by the guard, or null when the route reads none. */
  static byte[] body(Context ctx) {
    return ctx.attribute(BODY);
  }

  /** {@code value} made printable and cut to 80 characters, for error messages and logs. */
  public static String abbreviate(String value) {
    if (value == null) {
      return "(none)";
    }
    String printable = value.replaceAll("[^\\x20-\\x7e]", "?");
    return printable.length() > 80 ? printable.substring(0, 80) + "..." : printable;
  }
}
