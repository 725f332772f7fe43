package io.ktrdr.app.api;

import io.ktrdr.app.data.BarRepository;
import io.ktrdr.app.data.Timeframe;
import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.Json;
import io.ktrdr.app.operations.OperationState;
import io.ktrdr.app.operations.OperationType;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Request bodies of the API and their validation. The workers validate what they receive with the
 * same methods, so that a worker refuses what the API would refuse.
 */
public final class Requests {
  /** The earliest and latest dates accepted: no overflow, no absurd ranges. */
  static final Instant MIN_DATE = Instant.parse("1970-01-01T00:00:00Z");

  static final Instant MAX_DATE = Instant.parse("2100-01-01T00:00:00Z");

  /** A numeric field's allowed values, checked before the value takes part in any arithmetic. */
  record IntRange(String name, int min, int max, int fallback) {
    /** What the field takes, for error messages: {@code an integer from 1 to 500}. */
    String expected() {
      return "an integer from " + min + " to " + max;
    }

    /** {@code value}, or the fallback when absent; 400 naming the field and the range otherwise. */
    int check(Integer value) {
      int result = value == null ? fallback : value;
      if (result < min || result > max) {
        throw ApiException.badRequest(
            name + " must be between " + min + " and " + max + ", was " + result);
      }
      return result;
    }

    /**
     * A query parameter: ASCII digits only (Integer.parseInt also takes other scripts' digits),
     * within the range; the fallback when absent.
     */
    int parse(String value) {
      if (value == null || value.isBlank()) {
        return fallback;
      }
      if (!value.matches("[+-]?[0-9]{1,10}")) {
        throw ApiException.badRequest(name + " must be " + expected());
      }
      long parsed = Long.parseLong(value);
      if (parsed < min || parsed > max) {
        throw ApiException.badRequest(name + " must be " + expected() + ", was " + value);
      }
      return (int) parsed;
    }
  }

  /** Page size of the list routes. */
  static final IntRange LIMIT = new IntRange("limit", 1, 500, 100);

  /**
   * Items to skip in the list routes. Bounded well below {@link Integer#MAX_VALUE} so that {@code
   * offset + limit} cannot overflow (it did: {@code offset=2147483647} was a 500).
   */
  static final IntRange OFFSET = new IntRange("offset", 0, 1_000_000, 0);

  static final IntRange FAST_PERIOD = new IntRange("fast_period", 1, 200, 10);
  static final IntRange SLOW_PERIOD = new IntRange("slow_period", 2, 400, 30);
  static final IntRange EPOCHS = new IntRange("epochs", 1, 1000, 50);
  static final IntRange LOOKBACK = new IntRange("lookback", 1, 50, 5);

  /**
   * What each numeric body field takes, named in the 400 when a value is not even an integer (a
   * string, a fraction, beyond 32 bits).
   */
  private static final Map<String, String> EXPECTED =
      Map.of(
          FAST_PERIOD.name(),
          FAST_PERIOD.expected(),
          SLOW_PERIOD.name(),
          SLOW_PERIOD.expected(),
          EPOCHS.name(),
          EPOCHS.expected(),
          LOOKBACK.name(),
          LOOKBACK.expected(),
          "initial_capital",
          "a positive number up to 1e12",
          "learning_rate",
          "a number greater than 0 and at most 10",
          "progress",
          "a number from 0 to 1");

  private Requests() {}

  /** The request body as {@code type}; a 400 for a wrong-typed field says what the field takes. */
  static <T> T body(io.javalin.http.Context ctx, Class<T> type) {
    return Json.body(ctx, type, EXPECTED::get);
  }

  /** {@code POST /api/v1/backtests/start}. */
  public record BacktestRequest(
      String symbol,
      String timeframe,
      String start,
      String end,
      Integer fastPeriod,
      Integer slowPeriod,
      Double initialCapital) {
    int slowPeriodOrDefault() {
      return slowPeriod == null ? SLOW_PERIOD.fallback() : slowPeriod;
    }
  }

  /** {@code POST /api/v1/trainings/start}. */
  public record TrainingRequest(
      String symbol,
      String timeframe,
      String start,
      String end,
      Integer epochs,
      Double learningRate,
      Integer lookback) {
    int lookbackOrDefault() {
      return lookback == null ? LOOKBACK.fallback() : lookback;
    }
  }

  /** {@code POST /api/v1/workers/register}. */
  record RegisterRequest(String workerId, String workerType, String instanceId, String url) {}

  /** {@code POST /api/v1/workers/{id}/heartbeat}. */
  record Heartbeat(String instanceId) {}

  /** {@code POST /api/v1/operations/{id}/progress}, sent by workers. */
  record ProgressReport(
      String status, Double progress, String message, Map<String, Object> result, String error) {}

  /** Validates a backtest request without the database: the parameters to dispatch. */
  public static Map<String, Object> validate(BacktestRequest request) {
    Map<String, Object> parameters =
        common(request.symbol(), request.timeframe(), request.start(), request.end());
    int fast = FAST_PERIOD.check(request.fastPeriod());
    int slow = SLOW_PERIOD.check(request.slowPeriod());
    if (fast >= slow) {
      throw ApiException.badRequest(
          "fast_period (" + fast + ") must be smaller than slow_period (" + slow + ")");
    }
    double capital = request.initialCapital() == null ? 10_000.0 : request.initialCapital();
    if (!(capital > 0) || capital > 1e12) {
      throw ApiException.badRequest("initial_capital must be a positive number up to 1e12");
    }
    parameters.put("fast_period", fast);
    parameters.put("slow_period", slow);
    parameters.put("initial_capital", capital);
    return parameters;
  }

  /** Validates a training request without the database: the parameters to dispatch. */
  public static Map<String, Object> validate(TrainingRequest request) {
    Map<String, Object> parameters =
        common(request.symbol(), request.timeframe(), request.start(), request.end());
    parameters.put("epochs", EPOCHS.check(request.epochs()));
    parameters.put("lookback", LOOKBACK.check(request.lookback()));
    double rate = request.learningRate() == null ? 0.1 : request.learningRate();
    if (!(rate > 0 && rate <= 10)) {
      throw ApiException.badRequest("learning_rate must be greater than 0 and at most 10");
    }
    parameters.put("learning_rate", rate);
    return parameters;
  }

  /**
   * The parameters a worker received from the API, validated as the API validates a user's request;
   * 400 otherwise.
   */
  public static Map<String, Object> validateDispatch(OperationType type, Map<String, Object> body) {
    Map<String, Object> copy = new LinkedHashMap<>(body);
    Object id = copy.remove("operation_id");
    if (!(id instanceof String) || !((String) id).matches("op_[a-z]+_[0-9a-f]{12}")) {
      throw ApiException.badRequest("operation_id is required (op_<type>_<12 hex digits>)");
    }
    Map<String, Object> parameters =
        type == OperationType.BACKTEST
            ? validate(Json.convert(copy, BacktestRequest.class, EXPECTED::get))
            : validate(Json.convert(copy, TrainingRequest.class, EXPECTED::get));
    parameters.put("operation_id", id);
    return parameters;
  }

  /** The stored data must exist and hold at least {@code minBars} bars in the range. */
  static void checkData(Map<String, Object> parameters, BarRepository bars, int minBars)
      throws SQLException {
    String symbol = (String) parameters.get("symbol");
    if (bars.instrument(symbol).isEmpty()) {
      throw ApiException.notFound("Unknown symbol: " + symbol);
    }
    Timeframe timeframe = timeframe((String) parameters.get("timeframe"));
    Instant start =
        parameters.containsKey("start") ? Instant.parse((String) parameters.get("start")) : null;
    Instant end =
        parameters.containsKey("end") ? Instant.parse((String) parameters.get("end")) : null;
    int count = bars.bars(symbol, timeframe, start, end).size();
    if (count < minBars) {
      throw ApiException.badRequest(
          "Not enough bars: "
              + count
              + " "
              + timeframe.code()
              + " bars of "
              + symbol
              + " in the range, at least "
              + minBars
              + " needed");
    }
  }

  static RegisterRequest validate(RegisterRequest request) {
    if (request.workerId() == null || !request.workerId().matches("[A-Za-z0-9._-]{1,64}")) {
      throw ApiException.badRequest("worker_id must be 1-64 letters, digits, '.', '_' or '-'");
    }
    try {
      OperationType.forWorkerType(request.workerType());
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("worker_type must be backtesting or training");
    }
    if (request.instanceId() == null || !request.instanceId().matches("[A-Za-z0-9-]{1,64}")) {
      throw ApiException.badRequest("instance_id must be 1-64 letters, digits or '-'");
    }
    return request;
  }

  static ProgressReport validate(ProgressReport report, int maxResult) {
    try {
      OperationState.parseFinalOrRunning(report.status());
    } catch (IllegalArgumentException | NullPointerException e) {
      throw ApiException.badRequest("status must be one of running, completed, failed, cancelled");
    }
    if (report.progress() != null && !(report.progress() >= 0 && report.progress() <= 1)) {
      throw ApiException.badRequest("progress must be a number from 0 to 1");
    }
    if (report.message() != null && report.message().length() > 256) {
      throw ApiException.badRequest("message must be at most 256 characters");
    }
    if (report.error() != null && report.error().length() > 2048) {
      throw ApiException.badRequest("error must be at most 2048 characters");
    }
    if (report.result() != null
        && Json.MAPPER.writeValueAsBytes(report.result()).length > maxResult) {
      throw ApiException.tooLarge("result must be at most " + maxResult + " bytes of JSON");
    }
    return report;
  }

  private static Map<String, Object> common(
      String symbol, String timeframe, String start, String end) {
    if (symbol == null || symbol.isBlank()) {
      throw ApiException.badRequest("symbol is required");
    }
    symbol(symbol);
    Timeframe tf = timeframe(timeframe == null ? "1d" : timeframe);
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

  /** A symbol: 1-16 letters, digits, '.', '_' or '-'. */
  static String symbol(String symbol) {
    if (!symbol.matches("[A-Za-z0-9._-]{1,16}")) {
      throw ApiException.badRequest("symbol must be 1-16 letters, digits, '.', '_' or '-'");
    }
    return symbol;
  }

  static Timeframe timeframe(String code) {
    return Timeframe.parse(code)
        .orElseThrow(
            () ->
                ApiException.badRequest(
                    "Invalid timeframe '"
                        + io.ktrdr.app.http.RequestGuard.abbreviate(code)
                        + "': expected one of "
                        + Timeframe.codes()));
  }

  /**
   * An ISO date ({@code 2024-01-31}) or date-time ({@code 2024-01-31T10:00:00Z}) from 1970 to 2100;
   * null if absent.
   */
  static Instant instant(String name, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    Instant instant;
    try {
      if (value.length() > 40) {
        throw new DateTimeParseException("too long", value, 0);
      }
      instant =
          value.length() == 10
              ? LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant()
              : Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest(
          "Invalid "
              + name
              + " '"
              + io.ktrdr.app.http.RequestGuard.abbreviate(value)
              + "': expected an ISO-8601 date (2024-01-31) or"
              + " date-time (2024-01-31T10:00:00Z)");
    }
    if (instant.isBefore(MIN_DATE) || instant.isAfter(MAX_DATE)) {
      throw ApiException.badRequest(
          name + " must be between 1970-01-01 and 2100-01-01, was " + instant);
    }
    return instant;
  }

  static void checkOrder(Instant start, Instant end) {
    if (start != null && end != null && start.isAfter(end)) {
      throw ApiException.badRequest("start (" + start + ") is after end (" + end + ")");
    }
  }
}
