package io.ktrdr.app.worker;

import io.ktrdr.app.data.Bar;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A moving-average crossover strategy: long when the fast average is above the slow one, flat
 * otherwise; all-in positions at the close, no costs. Reports trades, return, drawdown and win rate
 * next to buy-and-hold.
 */
final class Backtester {
  private Backtester() {}

  static Map<String, Object> run(
      List<Bar> bars, int fastPeriod, int slowPeriod, double initialCapital, Steps steps) {
    if (bars.size() <= slowPeriod) {
      throw new IllegalArgumentException(
          "Not enough bars: " + bars.size() + " bars for a slow period of " + slowPeriod);
    }
    double cash = initialCapital;
    double units = 0;
    double entryPrice = 0;
    int trades = 0;
    int winners = 0;
    double peak = initialCapital;
    double maxDrawdown = 0;
    double fastSum = 0;
    double slowSum = 0;
    for (int i = 0; i < bars.size(); i++) {
      double close = bars.get(i).close();
      fastSum += close;
      slowSum += close;
      if (i >= fastPeriod) {
        fastSum -= bars.get(i - fastPeriod).close();
      }
      if (i >= slowPeriod) {
        slowSum -= bars.get(i - slowPeriod).close();
      }
      if (i >= slowPeriod - 1) {
        boolean bullish = fastSum / fastPeriod > slowSum / slowPeriod;
        if (bullish && units == 0) {
          units = cash / close;
          cash = 0;
          entryPrice = close;
        } else if (!bullish && units > 0) {
          cash = units * close;
          units = 0;
          trades++;
          if (close > entryPrice) {
            winners++;
          }
        }
      }
      double equity = cash + units * close;
      peak = Math.max(peak, equity);
      maxDrawdown = Math.max(maxDrawdown, (peak - equity) / peak);
      steps.step(i + 1, bars.size());
    }
    double lastClose = bars.get(bars.size() - 1).close();
    if (units > 0) {
      cash = units * lastClose;
      trades++;
      if (lastClose > entryPrice) {
        winners++;
      }
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("bars", bars.size());
    result.put("trades", trades);
    result.put("winning_trades", winners);
    result.put("win_rate", trades == 0 ? 0.0 : round((double) winners / trades));
    result.put("final_equity", round(cash));
    result.put("total_return_pct", round(100 * (cash / initialCapital - 1)));
    result.put("max_drawdown_pct", round(100 * maxDrawdown));
    result.put("buy_and_hold_return_pct", round(100 * (lastClose / bars.get(0).close() - 1)));
    return result;
  }

  static double round(double value) {
    return Math.round(value * 10_000) / 10_000.0;
  }
}
