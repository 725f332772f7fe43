package io.ktrdr.app.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.app.http.ApiException;
import io.ktrdr.telemetry.testing.Await;
import io.opentelemetry.api.OpenTelemetry;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The circuit on an embedded H2 that can be made unreachable, as a stopped server would be. */
class DatabaseCircuitTest {
  private final JdbcDataSource h2 = new JdbcDataSource();
  private final AtomicBoolean reachable = new AtomicBoolean(true);
  private final DataSource source = new Switchable(0);
  private final DatabaseCircuit circuit;

  DatabaseCircuitTest() {
    h2.setURL("jdbc:h2:mem:circuit-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
    circuit =
        new DatabaseCircuit(
            source,
            Duration.ofMillis(100),
            Duration.ofSeconds(1),
            OpenTelemetry.noop().getMeter("test"));
  }

  @AfterEach
  void close() {
    circuit.close();
  }

  @Test
  void anOutageRefusesCallsAtOnceUntilTheProbeReachesTheDatabase() {
    Await.until("the first probe", Duration.ofSeconds(5), circuit::isUp);
    assertThat(circuit.call("Could not count", this::count)).isEqualTo(1);

    reachable.set(false);
    assertThatThrownBy(() -> circuit.call("Could not count", this::count))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(503);
              assertThat(e.retryAfterSeconds()).isEqualTo(1);
              assertThat(e.getMessage())
                  .isEqualTo("Could not count; the database is not available");
            });
    assertThat(circuit.isUp()).isFalse();

    AtomicInteger ran = new AtomicInteger();
    assertThatThrownBy(() -> circuit.call("Could not count", () -> ran.incrementAndGet()))
        .isInstanceOf(ApiException.class);
    assertThat(ran).as("work run while the circuit is open").hasValue(0);

    reachable.set(true);
    Await.until("a probe to close the circuit", Duration.ofSeconds(5), circuit::isUp);
    assertThat(circuit.call("Could not count", this::count)).isEqualTo(1);
  }

  @Test
  void aProbeThatThrowsAnErrorIsRescheduledAndTheCircuitCloses() {
    try (DatabaseCircuit failingOnce =
        new DatabaseCircuit(
            new Switchable(1),
            Duration.ofMillis(100),
            Duration.ofSeconds(1),
            OpenTelemetry.noop().getMeter("test"))) {
      Await.until("a probe after the Error", Duration.ofSeconds(5), failingOnce::isUp);
      assertThat(failingOnce.call("Could not count", this::count)).isEqualTo(1);
    }
  }

  @Test
  void aBadStatementIsA503ButNotAnOutage() {
    Await.until("the first probe", Duration.ofSeconds(5), circuit::isUp);
    assertThatThrownBy(
            () ->
                circuit.call(
                    "Could not read",
                    () -> {
                      try (Connection connection = h2.getConnection();
                          Statement statement = connection.createStatement()) {
                        return statement.execute("SELEC nothing");
                      }
                    }))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(503));
    assertThat(circuit.isUp()).isTrue();
  }

  @Test
  void outagesAreToldFromBadStatementsAndBusyPools() {
    assertThat(DatabaseCircuit.isOutage(new SQLException("refused", "08001"))).isTrue();
    assertThat(DatabaseCircuit.isOutage(new SQLException("shutting down", "57P01"))).isTrue();
    assertThat(
            DatabaseCircuit.isOutage(
                new SQLException("I/O error", null, new java.io.EOFException())))
        .isTrue();
    assertThat(
            DatabaseCircuit.isOutage(
                new SQLTransientConnectionException(
                    "ktrdr-db - Connection is not available, request timed out after 1000ms",
                    "08001",
                    new SQLException("Connection refused", "08001", new ConnectException()))))
        .isTrue();
    // Every connection busy, the database fine: HikariCP's timeout has no cause then.
    assertThat(
            DatabaseCircuit.isOutage(
                new SQLTransientConnectionException(
                    "ktrdr-db - Connection is not available, request timed out after 1000ms")))
        .isFalse();
    assertThat(DatabaseCircuit.isOutage(new SQLException("syntax error", "42601"))).isFalse();
  }

  private int count() throws SQLException {
    try (Connection connection = source.getConnection();
        Statement statement = connection.createStatement();
        var rows = statement.executeQuery("SELECT 1")) {
      rows.next();
      return rows.getInt(1);
    }
  }

  /**
   * The H2 database, or, while {@link #reachable} is false, what a driver says of a server that is
   * gone.
   */
  private final class Switchable implements DataSource {
    /** How many more calls throw an {@link Error} (a broken driver, a full heap). */
    private final AtomicInteger errors;

    Switchable(int errors) {
      this.errors = new AtomicInteger(errors);
    }

    @Override
    public Connection getConnection() throws SQLException {
      if (errors.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new Error("a broken driver");
      }
      if (!reachable.get()) {
        throw new SQLException("Connection refused", "08001", new ConnectException());
      }
      return h2.getConnection();
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
      return false;
    }
  }
}
