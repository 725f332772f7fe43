package io.ktrdr.app.http;

import io.ktrdr.app.Redactor;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs the unexpected failures of requests (the 500s) at the rate they deserve: the stack trace of
 * a cause (its exception class and top frame) at most once per {@link #WINDOW}; the repeats in
 * between are counted, and the next report of that cause carries the count ({@code repeats=1999}).
 * A flood of one failing request thus writes one stack trace a minute, not one per request, and a
 * new cause is never hidden behind an old one.
 *
 * <p>At most {@link #MAX_CAUSES} causes are tracked; beyond that the table starts afresh, so memory
 * stays bounded whatever an attacker makes fail.
 */
final class ServerErrors {
  private static final Logger logger = LoggerFactory.getLogger(ServerErrors.class);

  /** A cause's stack trace is logged at most once in this time. */
  static final Duration WINDOW = Duration.ofMinutes(1);

  static final int MAX_CAUSES = 1000;

  private final Clock clock;
  private final ConcurrentMap<String, Cause> causes = new ConcurrentHashMap<>();

  /** One cause's reporting window. */
  private static final class Cause {
    long reportedAt;
    long repeats;

    Cause(long reportedAt) {
      this.reportedAt = reportedAt;
    }
  }

  /**
   * @param clock when a window starts and ends (tests pass a clock they move)
   */
  ServerErrors(Clock clock) {
    this.clock = clock;
  }

  /** Records that {@code method path} failed with {@code error}; logs it if its turn has come. */
  void failed(String method, String path, Throwable error) {
    String key = key(error);
    long now = clock.millis();
    if (causes.size() >= MAX_CAUSES && !causes.containsKey(key)) {
      causes.clear();
    }
    Cause cause = causes.computeIfAbsent(key, k -> new Cause(Long.MIN_VALUE));
    long repeats;
    synchronized (cause) {
      if (cause.reportedAt != Long.MIN_VALUE && now - cause.reportedAt < WINDOW.toMillis()) {
        cause.repeats++;
        return;
      }
      repeats = cause.repeats;
      cause.reportedAt = now;
      cause.repeats = 0;
    }
    logger
        .atError()
        .addKeyValue("cause", key)
        .addKeyValue("repeats", repeats)
        .setCause(Redactor.redact(error))
        .log(
            "Request failed: {} {}{}",
            method,
            RequestGuard.abbreviate(path),
            repeats == 0
                ? ""
                : " (this cause failed "
                    + repeats
                    + " more requests since its last report; their stack traces are not logged)");
  }

  /** The exception class and where it was thrown: the same bug gives the same key. */
  static String key(Throwable error) {
    StackTraceElement[] stack = error.getStackTrace();
    return stack.length == 0
        ? error.getClass().getName()
        : error.getClass().getName() + " at " + stack[0];
  }
}
