package io.ktrdr.app.api;

import io.ktrdr.app.data.BarRepository;
import io.ktrdr.app.data.Timeframe;
import io.ktrdr.app.http.ApiException;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Request bodies of the API and their validation. */
final class Requests {
  private Requests() {}

  /** {@code POST /api/v1/backtests/start}. */
  record BacktestRequest(
      String symbol,
      String timeframe,
      String start,
      String end,
      Integer fastPeriod,
      Integer slowPeriod,
      Double initialCapital) {}

  /** {@code POST /api/v1/trainings/start}. */
  record TrainingRequest(
      String symbol,
      String timeframe,
      String start,
      String end,
      Integer epochs,
      Double learningRate,
      Integer lookback) {}

  /** {@code POST /api/v1/workers/register}. */
  record RegisterRequest(String workerId, String workerType, String url) {}

  /** {@code POST /api/v1/operations/{id}/progress}, sent by workers. */
  record ProgressReport(
      String status, Double progress, String message, Map<String, Object> result, String error) {}

  static Map<String, Object> validate(BacktestRequest request, BarRepository bars)
      throws SQLException {
    Map<String, Object> parameters =
        common(request.symbol(), request.timeframe(), request.start(), request.end(), bars);
    int fast = range("fast_period", request.fastPeriod(), 10, 1, 200);
    int slow = range("slow_period", request.slowPeriod(), 30, 2, 400);
    if (fast >= slow) {
      throw ApiException.badRequest(
          "fast_period (" + fast + ") must be smaller than slow_period (" + slow + ")");
    }
    double capital = request.initialCapital() == null ? 10_000.0 : request.initialCapital();
    if (!(capital > 0) || Double.isInfinite(capital)) {
      throw ApiException.badRequest("initial_capital must be a positive number");
    }
    parameters.put("fast_period", fast);
    parameters.put("slow_period", slow);
    parameters.put("initial_capital", capital);
    return parameters;
  }

  static Map<String, Object> validate(TrainingRequest request, BarRepository bars)
      throws SQLException {
    Map<String, Object> parameters =
        common(request.symbol(), request.timeframe(), request.start(), request.end(), bars);
    parameters.put("epochs", range("epochs", request.epochs(), 50, 1, 1000));
    parameters.put("lookback", range("lookback", request.lookback(), 5, 1, 50));
    double rate = request.learningRate() == null ? 0.1 : request.learningRate();
    if (!(rate > 0 && rate <= 10)) {
      throw ApiException.badRequest("learning_rate must be greater than 0 and at most 10");
    }
    parameters.put("learning_rate", rate);
    return parameters;
  }

  private static Map<String, Object> common(
      String symbol, String timeframe, String start, String end, BarRepository bars)
      throws SQLException {
    if (symbol == null || symbol.isBlank()) {
      throw ApiException.badRequest("symbol is required");
    }
    Timeframe tf = timeframe(timeframe == null ? "1d" : timeframe);
    if (bars.instrument(symbol).isEmpty()) {
      throw ApiException.notFound("Unknown symbol: " + symbol);
    }
    Instant from = instant("start", start);
    Instant to = instant("end", end);
    checkOrder(from, to);
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("symbol", symbol);
    parameters.put("timeframe", tf.code());
    if (from != null) {
      parameters.put("start", from.toString());
    }
    if (to != null) {
      parameters.put("end", to.toString());
    }
    return parameters;
  }

  static Timeframe timeframe(String code) {
    return Timeframe.parse(code)
        .orElseThrow(
            () ->
                ApiException.badRequest(
                    "Invalid timeframe '" + code + "': expected one of " + Timeframe.codes()));
  }

  /**
   * An ISO date ({@code 2024-01-31}) or date-time ({@code 2024-01-31T10:00:00Z}); null if absent.
   */
  static Instant instant(String name, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      if (value.length() == 10) {
        return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
      }
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest(
          "Invalid "
              + name
              + " '"
              + value
              + "': expected an ISO-8601 date (2024-01-31) or"
              + " date-time (2024-01-31T10:00:00Z)");
    }
  }

  static void checkOrder(Instant start, Instant end) {
    if (start != null && end != null && start.isAfter(end)) {
      throw ApiException.badRequest("start (" + start + ") is after end (" + end + ")");
    }
  }

  private static int range(String name, Integer value, int fallback, int min, int max) {
    int result = value == null ? fallback : value;
    if (result < min || result > max) {
      throw ApiException.badRequest(
          name + " must be between " + min + " and " + max + ", was " + result);
    }
    return result;
  }
}
