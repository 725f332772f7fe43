package io.ktrdr.app.data;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The bar sizes the app stores. */
public enum Timeframe {
  ONE_HOUR("1h", Duration.ofHours(1)),
  ONE_DAY("1d", Duration.ofDays(1));

  private final String code;
  private final Duration length;

  Timeframe(String code, Duration length) {
    this.code = code;
    this.length = length;
  }

  /** The code used in URLs and JSON: {@code 1h}, {@code 1d}. */
  public String code() {
    return code;
  }

  public Duration length() {
    return length;
  }

  public static Optional<Timeframe> parse(String code) {
    return Arrays.stream(values()).filter(t -> t.code.equals(code)).findFirst();
  }

  public static List<String> codes() {
    return Arrays.stream(values()).map(Timeframe::code).collect(Collectors.toList());
  }
}
