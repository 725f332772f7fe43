package io.ktrdr.app.data;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic synthetic market data: a geometric random walk per instrument, seeded from the
 * symbol, so every start (and every test) sees the same bars.
 */
final class BarGenerator {
  private BarGenerator() {}

  static List<Bar> generate(
      String symbol, Timeframe timeframe, Instant end, int count, double startPrice) {
    SplittableRandom random = new SplittableRandom(symbol.hashCode() * 31L + timeframe.ordinal());
    double volatility = timeframe == Timeframe.ONE_DAY ? 0.018 : 0.004;
    double drift = 0.0002;
    List<Bar> bars = new ArrayList<>(count);
    double close = startPrice;
    Instant first = end.minus(timeframe.length().multipliedBy(count));
    for (int i = 0; i < count; i++) {
      double open = close;
      double change = drift + volatility * gaussian(random);
      close = Math.max(0.01, open * Math.exp(change));
      double high = Math.max(open, close) * (1 + Math.abs(volatility * gaussian(random)) / 2);
      double low = Math.min(open, close) * (1 - Math.abs(volatility * gaussian(random)) / 2);
      long volume = 100_000 + (long) (random.nextDouble() * 900_000);
      bars.add(
          new Bar(
              first.plus(timeframe.length().multipliedBy(i)),
              round(open),
              round(high),
              round(low),
              round(close),
              volume));
    }
    return bars;
  }

  private static double gaussian(SplittableRandom random) {
    // Box-Muller: two uniforms to one standard normal.
    double u1 = 1.0 - random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  private static double round(double value) {
    return Math.round(value * 10_000) / 10_000.0;
  }
}
