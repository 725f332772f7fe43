package io.ktrdr.app.data;

import io.ktrdr.app.Redactor;
import io.ktrdr.app.http.ApiException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the database answers, and the gate every database call of the API goes through: while the
 * database is known down, calls fail at once with 503 and {@code Retry-After} instead of each
 * waiting for the pool's connection timeout, and one background probe checks the database; the
 * first probe that succeeds closes the circuit. The probe also runs while the database is up, so
 * that an outage is seen (readiness, {@code ktrdr_db_up}) without traffic.
 *
 * <pre>{@code
 * List<Instrument> all = circuit.call("Could not read instruments", () -> repository.query());
 * }</pre>
 *
 * <p>Emits {@code ktrdr.db.up} (1 while the database answers, 0 while it is known down) and {@code
 * ktrdr.db.unavailable{reason}}, the calls answered 503 because of the database. An outage is
 * logged once when it starts and once when it ends, never per request.
 */
public final class DatabaseCircuit implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(DatabaseCircuit.class);
  private static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");

  /** A call that reads or writes the database. */
  @FunctionalInterface
  public interface Work<T> {
    T run() throws SQLException;
  }

  private final DataSource probeSource;
  private final Duration probeInterval;
  private final int validationSeconds;
  private final ScheduledExecutorService probe;
  private final LongCounter unavailable;
  private final Attributes circuitOpen;
  private final Attributes outage;
  private final Attributes poolExhausted;
  private final Attributes error;
  private final AtomicLong refusedDuringOutage = new AtomicLong();
  private volatile boolean up;
  private boolean everUp;
  private volatile long downSinceNanos;

  /**
   * Starts the probe at once. The circuit starts open (the database is unknown until the first
   * probe or {@link #markUp}).
   *
   * @param probeSource the pool (not the traced data source: probes are not traced)
   * @param probeInterval how often the probe checks the database, up or down
   * @param validationTimeout how long the probe waits for the database to answer its check
   */
  public DatabaseCircuit(
      DataSource probeSource, Duration probeInterval, Duration validationTimeout, Meter meter) {
    this.probeSource = probeSource;
    this.probeInterval = probeInterval;
    this.validationSeconds = (int) Math.max(1, (validationTimeout.toMillis() + 999) / 1000);
    this.downSinceNanos = System.nanoTime();
    this.circuitOpen = Attributes.of(REASON, "circuit_open");
    this.outage = Attributes.of(REASON, "outage");
    this.poolExhausted = Attributes.of(REASON, "pool_exhausted");
    this.error = Attributes.of(REASON, "error");
    meter
        .gaugeBuilder("ktrdr.db.up")
        .ofLongs()
        .setDescription("1 while the API's database answers, 0 while it is known down.")
        .buildWithCallback(gauge -> gauge.record(up ? 1 : 0));
    this.unavailable =
        meter
            .counterBuilder("ktrdr.db.unavailable")
            .setUnit("{request}")
            .setDescription(
                "Database calls answered 503: circuit_open (refused at once while the database is"
                    + " down), outage (the call found it down), pool_exhausted, error.")
            .build();
    this.probe =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "ktrdr-db-probe");
              thread.setDaemon(true);
              return thread;
            });
    probe.execute(this::probeAndReschedule);
  }

  /** Whether the database answered the last probe or call. */
  public boolean isUp() {
    return up;
  }

  /**
   * Runs {@code work}, or refuses it at once (503) while the database is known down. A failure that
   * means the database cannot be reached opens the circuit; every {@link SQLException} becomes a
   * 503 with {@code message}, its cause logged (redacted) unless it is part of an outage already
   * logged.
   */
  public <T> T call(String message, Work<T> work) {
    if (!up) {
      refusedDuringOutage.incrementAndGet();
      unavailable.add(1, circuitOpen);
      throw refusal(message);
    }
    try {
      return work.run();
    } catch (SQLException e) {
      throw failed(message, e);
    }
  }

  /**
   * The 503 for a failed database call: opens the circuit when {@code e} says the database cannot
   * be reached.
   */
  public ApiException failed(String message, SQLException e) {
    if (isOutage(e)) {
      unavailable.add(1, outage);
      markDown(e);
    } else if (isPoolTimeout(e)) {
      // Every connection is in use and the database answers: shed load, but it is not down.
      unavailable.add(1, poolExhausted);
    } else {
      unavailable.add(1, error);
      logger.warn("{}: {}", message, Redactor.redact(e.toString()));
    }
    return refusal(message);
  }

  /** The schema is loaded: the database answers. */
  public void markUp() {
    if (up) {
      return;
    }
    long refused;
    boolean first;
    synchronized (this) {
      if (up) {
        return;
      }
      up = true;
      refused = refusedDuringOutage.getAndSet(0);
      first = !everUp;
      everUp = true;
    }
    if (!first) {
      logger
          .atInfo()
          .addKeyValue("down_ms", (System.nanoTime() - downSinceNanos) / 1_000_000)
          .addKeyValue("refused", refused)
          .log("The database answers again; requests are served");
    }
  }

  private void markDown(Exception cause) {
    if (!up) {
      return;
    }
    synchronized (this) {
      if (!up) {
        return;
      }
      downSinceNanos = System.nanoTime();
      up = false;
    }
    logger.warn(
        "The database cannot be reached; requests that need it answer 503 until a probe every {} ms"
            + " succeeds: {}",
        probeInterval.toMillis(),
        Redactor.redact(cause.toString()));
  }

  /**
   * One probe, then the next: after {@code probeInterval} while the database is up, a quarter of it
   * while down (each probe then already waits up to the pool's connection timeout), so that the API
   * serves again soon after the database returns.
   */
  private void probeAndReschedule() {
    try {
      probe();
    } finally {
      // Whatever the probe threw: a probe that stops would leave an open circuit open for good.
      long delay = up ? probeInterval.toMillis() : Math.max(100, probeInterval.toMillis() / 4);
      try {
        probe.schedule(this::probeAndReschedule, delay, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closed
      }
    }
  }

  private void probe() {
    try (Connection connection = probeSource.getConnection()) {
      if (connection.isValid(validationSeconds)) {
        markUp();
      } else {
        markDown(new SQLException("a connection of the pool failed its check"));
      }
    } catch (SQLException e) {
      if (isOutage(e)) {
        markDown(e);
      }
      // A pool timeout with no connection failure behind it: every connection is busy, the
      // database answers; the state stays as it is.
    } catch (RuntimeException e) {
      markDown(e);
    }
  }

  private ApiException refusal(String message) {
    return ApiException.unavailable(
        message + "; the database is not available", retryAfterSeconds());
  }

  /** The {@code Retry-After} of a database 503: the probe interval, in whole seconds. */
  public int retryAfterSeconds() {
    return (int) Math.max(1, (probeInterval.toMillis() + 999) / 1000);
  }

  /**
   * Whether {@code e} means the database cannot be reached (rather than a bad statement or a busy
   * pool): a connection-class SQL state (08xxx), an operator intervention (57Pxx: shutdown, crash
   * recovery, starting up), a connection exception type, or an I/O failure behind it. A pool
   * timeout counts when the pool's last attempt to connect failed (HikariCP gives it as the cause).
   */
  static boolean isOutage(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException) {
        return true;
      }
      if (t instanceof SQLException sql) {
        String state = sql.getSQLState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
          return true;
        }
        if (sql instanceof SQLNonTransientConnectionException
            || sql instanceof SQLRecoverableException) {
          return true;
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static boolean isPoolTimeout(SQLException e) {
    return e instanceof SQLTransientConnectionException && e.getCause() == null;
  }

  @Override
  public void close() {
    probe.shutdownNow();
  }
}
