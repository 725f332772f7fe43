package io.ktrdr.app.data;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.opentelemetry.api.metrics.Meter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The app's database: an embedded H2 by default ({@code KTRDR_DATABASE_URL} points elsewhere, e.g.
 * PostgreSQL), created and filled with deterministic daily and hourly bars at start-up. Reached
 * through a HikariCP pool whose connection timeout is shorter than a request's budget, behind a
 * {@link DatabaseCircuit} that answers 503 at once while the database is down; the pool's metrics
 * are in {@link PoolMetrics}.
 */
public final class Database implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(Database.class);

  /** The instruments seeded at start-up, with their starting prices. */
  static final List<Instrument> INSTRUMENTS =
      List.of(
          new Instrument("AAPL", "Apple Inc.", "equity"),
          new Instrument("MSFT", "Microsoft Corporation", "equity"),
          new Instrument("SPY", "SPDR S&P 500 ETF", "etf"),
          new Instrument("EURUSD", "Euro / US Dollar", "forex"),
          new Instrument("BTCUSD", "Bitcoin / US Dollar", "crypto"));

  private static final double[] START_PRICES = {150, 300, 420, 1.08, 40_000};

  /** Daily bars per instrument (about two trading years) and hourly bars (about 60 days). */
  static final int DAILY_BARS = 520;

  static final int HOURLY_BARS = 1440;

  /** The fixed end of the generated series, so that data never depends on the clock. */
  static final Instant SERIES_END = Instant.parse("2025-01-01T00:00:00Z");

  private final DataSource dataSource;
  private final AtomicBoolean ready = new AtomicBoolean();

  private final HikariDataSource pool;
  private final DatabaseCircuit circuit;

  private Database(DataSource dataSource, HikariDataSource pool, DatabaseCircuit circuit) {
    this.dataSource = dataSource;
    this.pool = pool;
    this.circuit = circuit;
  }

  /**
   * A database at {@code url}, through a connection pool, reached through {@code wrap} (the tracing
   * data source). Nothing connects until first use.
   *
   * @param url a JDBC URL; the H2 and PostgreSQL drivers are bundled
   * @param user the user, or null (then the URL's or the driver's default)
   * @param password the password, or null
   * @param connectTimeout how long a call waits for a connection before it answers 503 (HikariCP's
   *     {@code connectionTimeout}, at least 250 ms)
   * @param probeInterval how often the circuit's probe checks the database
   * @param meter where the pool's metrics and {@code ktrdr.db.up} are recorded
   */
  public static Database create(
      String url,
      String user,
      String password,
      Duration connectTimeout,
      Duration probeInterval,
      Meter meter,
      java.util.function.UnaryOperator<DataSource> wrap) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("ktrdr-db");
    config.setJdbcUrl(url);
    if (user != null) {
      config.setUsername(user);
    }
    if (password != null) {
      config.setPassword(password);
    }
    config.setMaximumPoolSize(10);
    config.setConnectionTimeout(connectTimeout.toMillis());
    // HikariCP wants the validation timeout below the connection timeout, and 250 ms at least.
    Duration validation = Duration.ofMillis(Math.max(250, connectTimeout.toMillis() * 3 / 4));
    config.setValidationTimeout(validation.toMillis());
    // Start without a database: readiness reports it, and the pool connects when it can.
    config.setInitializationFailTimeout(-1);
    config.setMetricsTrackerFactory(new PoolMetrics(meter));
    HikariDataSource pool = new HikariDataSource(config);
    DatabaseCircuit circuit = new DatabaseCircuit(pool, probeInterval, validation, meter);
    return new Database(wrap.apply(pool), pool, circuit);
  }

  /** Closes the connection pool. */
  @Override
  public void close() {
    circuit.close();
    pool.close();
  }

  /** The gate every call of the repositories goes through. */
  public DatabaseCircuit circuit() {
    return circuit;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  /** Whether the schema exists and the seed data is loaded. */
  public boolean isReady() {
    return ready.get();
  }

  /** Creates the schema and seeds it if empty. Idempotent. */
  public void initialize() throws SQLException {
    long started = System.nanoTime();
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE TABLE IF NOT EXISTS instruments (symbol VARCHAR(16) PRIMARY KEY,"
              + " name VARCHAR(128) NOT NULL, asset_class VARCHAR(32) NOT NULL)");
      statement.execute(
          "CREATE TABLE IF NOT EXISTS bars (symbol VARCHAR(16) NOT NULL, timeframe VARCHAR(4) NOT"
              + " NULL, ts TIMESTAMP WITH TIME ZONE NOT NULL, open_price DOUBLE PRECISION NOT NULL,"
              + " high_price DOUBLE PRECISION NOT NULL, low_price DOUBLE PRECISION NOT NULL,"
              + " close_price DOUBLE PRECISION NOT NULL, volume BIGINT NOT NULL,"
              + " PRIMARY KEY (symbol, timeframe, ts))");
      boolean empty;
      try (var rows = statement.executeQuery("SELECT COUNT(*) FROM instruments")) {
        rows.next();
        empty = rows.getLong(1) == 0;
      }
      if (empty) {
        seed(connection);
      }
    }
    ready.set(true);
    circuit.markUp();
    logger
        .atInfo()
        .addKeyValue("duration_ms", (System.nanoTime() - started) / 1_000_000)
        .log("Database ready");
  }

  private static void seed(Connection connection) throws SQLException {
    connection.setAutoCommit(false);
    try (PreparedStatement instrument =
            connection.prepareStatement("INSERT INTO instruments VALUES (?, ?, ?)");
        PreparedStatement bar =
            connection.prepareStatement("INSERT INTO bars VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (int i = 0; i < INSTRUMENTS.size(); i++) {
        Instrument item = INSTRUMENTS.get(i);
        instrument.setString(1, item.symbol());
        instrument.setString(2, item.name());
        instrument.setString(3, item.assetClass());
        instrument.addBatch();
        insertBars(bar, item.symbol(), Timeframe.ONE_DAY, DAILY_BARS, START_PRICES[i]);
        insertBars(bar, item.symbol(), Timeframe.ONE_HOUR, HOURLY_BARS, START_PRICES[i]);
      }
      instrument.executeBatch();
      bar.executeBatch();
      connection.commit();
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(true);
    }
  }

  private static void insertBars(
      PreparedStatement statement, String symbol, Timeframe timeframe, int count, double price)
      throws SQLException {
    Instant end =
        timeframe == Timeframe.ONE_DAY ? SERIES_END : SERIES_END.truncatedTo(ChronoUnit.HOURS);
    for (Bar bar : BarGenerator.generate(symbol, timeframe, end, count, price)) {
      statement.setString(1, symbol);
      statement.setString(2, timeframe.code());
      statement.setTimestamp(3, Timestamp.from(bar.timestamp()));
      statement.setDouble(4, bar.open());
      statement.setDouble(5, bar.high());
      statement.setDouble(6, bar.low());
      statement.setDouble(7, bar.close());
      statement.setLong(8, bar.volume());
      statement.addBatch();
    }
  }
}
