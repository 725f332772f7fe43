package io.ktrdr.app.data;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Reads instruments and bars. Every call is a traced JDBC statement behind the {@link
 * DatabaseCircuit}: a database that cannot be reached is a 503, never an exception of its own.
 */
public final class BarRepository {
  private final DataSource dataSource;
  private final DatabaseCircuit circuit;

  public BarRepository(DataSource dataSource, DatabaseCircuit circuit) {
    this.dataSource = dataSource;
    this.circuit = circuit;
  }

  public List<Instrument> instruments() {
    return circuit.call("Could not read the instruments", this::readInstruments);
  }

  public Optional<Instrument> instrument(String symbol) {
    return circuit.call("Could not read the instrument", () -> readInstrument(symbol));
  }

  /** Bars of {@code symbol} in {@code [start, end]}, oldest first; either bound may be null. */
  public List<Bar> bars(String symbol, Timeframe timeframe, Instant start, Instant end) {
    return circuit.call("Could not read bars", () -> readBars(symbol, timeframe, start, end));
  }

  private List<Instrument> readInstruments() throws SQLException {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT symbol, name, asset_class FROM instruments ORDER BY symbol");
        ResultSet rows = statement.executeQuery()) {
      List<Instrument> result = new ArrayList<>();
      while (rows.next()) {
        result.add(new Instrument(rows.getString(1), rows.getString(2), rows.getString(3)));
      }
      return result;
    }
  }

  private Optional<Instrument> readInstrument(String symbol) throws SQLException {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT symbol, name, asset_class FROM instruments WHERE symbol = ?")) {
      statement.setString(1, symbol);
      try (ResultSet rows = statement.executeQuery()) {
        return rows.next()
            ? Optional.of(new Instrument(rows.getString(1), rows.getString(2), rows.getString(3)))
            : Optional.empty();
      }
    }
  }

  private List<Bar> readBars(String symbol, Timeframe timeframe, Instant start, Instant end)
      throws SQLException {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT ts, open_price, high_price, low_price, close_price, volume FROM bars"
                    + " WHERE symbol = ? AND timeframe = ? AND ts >= ? AND ts <= ? ORDER BY ts")) {
      statement.setString(1, symbol);
      statement.setString(2, timeframe.code());
      statement.setTimestamp(3, Timestamp.from(start == null ? Instant.EPOCH : start));
      statement.setTimestamp(
          4, Timestamp.from(end == null ? Instant.parse("9999-12-31T00:00:00Z") : end));
      try (ResultSet rows = statement.executeQuery()) {
        List<Bar> result = new ArrayList<>();
        while (rows.next()) {
          result.add(
              new Bar(
                  rows.getTimestamp(1).toInstant(),
                  rows.getDouble(2),
                  rows.getDouble(3),
                  rows.getDouble(4),
                  rows.getDouble(5),
                  rows.getLong(6)));
        }
        return result;
      }
    }
  }
}
