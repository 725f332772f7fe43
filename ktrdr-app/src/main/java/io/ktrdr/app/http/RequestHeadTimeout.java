package io.ktrdr.app.http;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;

/**
 * Closes a connection whose request line and headers are not complete within a bound, counted from
 * the connection's opening or from the end of its previous request. Jetty's idle timeout restarts
 * with every byte, so a client that trickles one header line a second held a connection (and its
 * buffers) for as long as it liked; this deadline does not move.
 *
 * <p>Registered on each connector as a {@link Connection.Listener} (arms the deadline) and in the
 * {@link HttpConfiguration} as a customizer, which Jetty calls once a request's head is parsed
 * (disarms it). A request being handled is never cut: the deadline is armed again only when its
 * response is complete. Slow bodies have their own deadline ({@link RequestGuard}).
 */
final class RequestHeadTimeout implements Connection.Listener, HttpConfiguration.Customizer {
  private static final ScheduledExecutorService DEADLINES = RequestGuard.DEADLINES;

  private final long timeoutMillis;
  private final ConcurrentMap<Connection, ScheduledFuture<?>> deadlines = new ConcurrentHashMap<>();

  RequestHeadTimeout(Duration timeout) {
    this.timeoutMillis = timeout.toMillis();
  }

  @Override
  public void onOpened(Connection connection) {
    arm(connection);
  }

  @Override
  public void onClosed(Connection connection) {
    disarm(connection);
  }

  @Override
  public Request customize(Request request, HttpFields.Mutable responseHeaders) {
    Connection connection = request.getConnectionMetaData().getConnection();
    disarm(connection);
    Request.addCompletionListener(
        request,
        failure -> {
          if (connection.getEndPoint().isOpen()) {
            arm(connection);
          }
        });
    return request;
  }

  private void arm(Connection connection) {
    java.util.concurrent.CompletableFuture<ScheduledFuture<?>> self =
        new java.util.concurrent.CompletableFuture<>();
    ScheduledFuture<?> deadline =
        DEADLINES.schedule(
            () -> {
              // Only this deadline's own entry: a newer one may have replaced it.
              if (deadlines.remove(connection, self.join())) {
                connection
                    .getEndPoint()
                    .close(
                        new TimeoutException(
                            "request head not complete within " + timeoutMillis + " ms"));
              }
            },
            timeoutMillis,
            TimeUnit.MILLISECONDS);
    self.complete(deadline);
    ScheduledFuture<?> previous = deadlines.put(connection, deadline);
    if (previous != null) {
      previous.cancel(false);
    }
  }

  private void disarm(Connection connection) {
    ScheduledFuture<?> deadline = deadlines.remove(connection);
    if (deadline != null) {
      deadline.cancel(false);
    }
  }
}
