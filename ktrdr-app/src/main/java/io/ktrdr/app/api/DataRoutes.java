package io.ktrdr.app.api;

import static io.ktrdr.app.api.ApiServer.DATA_SYMBOL;
import static io.ktrdr.app.api.ApiServer.DATA_TIMEFRAME;
import static io.ktrdr.app.api.ApiServer.PREFIX;
import static io.ktrdr.app.api.ApiServer.requireReady;
import static io.ktrdr.app.api.ApiServer.start;
import static io.ktrdr.app.http.RouteCatalog.doc;

import io.ktrdr.app.data.Bar;
import io.ktrdr.app.data.BarRepository;
import io.ktrdr.app.data.Timeframe;
import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.RouteCatalog;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.opentelemetry.api.common.Attributes;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/** The market-data routes: instruments, bar sizes and bars (read-only). */
final class DataRoutes {
  private DataRoutes() {}

  static void register(
      RouteCatalog catalog, KtrdrTelemetry telemetry, AtomicBoolean ready, BarRepository bars) {
    catalog.get(
        PREFIX + "/data/symbols",
        doc("data", "Instruments with stored bars"),
        ctx -> {
          requireReady(ready);
          ctx.json(Map.of("symbols", bars.instruments()));
        });
    catalog.get(
        PREFIX + "/data/timeframes",
        doc("data", "Bar sizes"),
        ctx -> ctx.json(Map.of("timeframes", Timeframe.codes())));
    catalog.get(
        PREFIX + "/data/{symbol}/{timeframe}",
        doc("data", "OHLCV bars of an instrument, oldest first")
            .query("start", "ISO-8601 date or date-time, inclusive")
            .query("end", "ISO-8601 date or date-time, inclusive")
            .responds(200, "bars")
            .responds(400, "invalid timeframe or dates")
            .responds(404, "unknown symbol"),
        ctx -> {
          requireReady(ready);
          String symbol = Requests.symbol(ctx.pathParam("symbol"));
          Timeframe timeframe = Requests.timeframe(ctx.pathParam("timeframe"));
          Instant start = Requests.instant("start", ctx.queryParam("start"));
          Instant end = Requests.instant("end", ctx.queryParam("end"));
          Requests.checkOrder(start, end);
          List<Bar> result =
              telemetry
                  .tracing()
                  .inSpan(
                      "data_loading",
                      Attributes.of(DATA_SYMBOL, symbol, DATA_TIMEFRAME, timeframe.code()),
                      () -> {
                        if (bars.instrument(symbol).isEmpty()) {
                          throw ApiException.notFound("Unknown symbol: " + symbol);
                        }
                        return bars.bars(symbol, timeframe, start, end);
                      });
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("symbol", symbol);
          body.put("timeframe", timeframe.code());
          body.put("count", result.size());
          body.put("bars", result);
          ctx.json(body);
        });
  }
}
