package io.ktrdr.app.http;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
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
  private static final ScheduledThreadPoolExecutor DEADLINES = RequestGuard.DEADLINES;

  private final long timeoutMillis;
  private final ConcurrentMap<Connection, Deadline> deadlines = new ConcurrentHashMap<>();

  RequestHeadTimeout(Duration timeout) {
    this.timeoutMillis = timeout.toMillis();
  }

  @Override
  public void onOpened(Connection connection) {
    Deadline deadline = new Deadline(connection);
    deadlines.put(connection, deadline);
    deadline.arm();
  }

  @Override
  public void onClosed(Connection connection) {
    Deadline deadline = deadlines.remove(connection);
    if (deadline != null) {
      deadline.disarm();
    }
  }

  @Override
  public Request customize(Request request, HttpFields.Mutable responseHeaders) {
    Deadline deadline = deadlines.get(request.getConnectionMetaData().getConnection());
    if (deadline != null) {
      deadline.disarm();
      Request.addCompletionListener(request, deadline);
    }
    return request;
  }

  /**
   * One connection's deadline, made once per connection and reused for each of its requests: it is
   * the scheduled task and the request's completion listener (which arms it again).
   */
  private final class Deadline implements Runnable, Consumer<Throwable> {
    private final Connection connection;
    private ScheduledFuture<?> due;

    Deadline(Connection connection) {
      this.connection = connection;
    }

    synchronized void arm() {
      if (due != null) {
        due.cancel(false);
      }
      due = DEADLINES.schedule(this, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    synchronized void disarm() {
      if (due != null) {
        due.cancel(false);
        due = null;
      }
    }

    /** The request is complete: the next head has its own time from now. */
    @Override
    public void accept(Throwable failure) {
      if (connection.getEndPoint().isOpen() && deadlines.get(connection) == this) {
        arm();
      }
    }

    @Override
    public void run() {
      synchronized (this) {
        // A run that lost the race with disarm() or arm(): the current due time is not yet here.
        if (due == null || due.getDelay(TimeUnit.NANOSECONDS) > 0) {
          return;
        }
        due = null;
      }
      connection
          .getEndPoint()
          .close(new TimeoutException("request head not complete within " + timeoutMillis + " ms"));
    }
  }
}
