package io.ktrdr.app.data;

import java.util.List;

/** The instruments the app serves data for. */
public final class SymbolCatalog {
  /** One tradable instrument. */
  public record Symbol(String symbol, String name, String assetClass) {}

  private static final List<Symbol> SYMBOLS =
      List.of(
          new Symbol("AAPL", "Apple Inc.", "equity"),
          new Symbol("MSFT", "Microsoft Corporation", "equity"),
          new Symbol("SPY", "SPDR S&P 500 ETF", "etf"),
          new Symbol("EURUSD", "Euro / US Dollar", "forex"),
          new Symbol("BTCUSD", "Bitcoin / US Dollar", "crypto"));

  public List<Symbol> all() {
    return SYMBOLS;
  }
}
