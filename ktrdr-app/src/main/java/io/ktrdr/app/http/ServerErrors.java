package io.ktrdr.app.http;

import io.ktrdr.app.Redactor;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs the unexpected failures of requests (the 500s) at the rate they deserve: the stack trace of
 * a cause (its exception class, where our code threw or called what threw it, and the route) at
 * most once per {@link #WINDOW}; the repeats in between are counted, and the next report of that
 * cause carries the count ({@code repeats=1999}). A flood of one failing request thus writes one
 * stack trace a minute, not one per request, and a new cause is never hidden behind an old one.
 *
 * <p>At most {@link #MAX_CAUSES} causes are tracked; beyond that the oldest is forgotten, so memory
 * stays bounded whatever an attacker makes fail, and the other causes keep their windows.
 */
final class ServerErrors {
  private static final Logger logger = LoggerFactory.getLogger(ServerErrors.class);

  /** A cause's stack trace is logged at most once in this time. */
  static final Duration WINDOW = Duration.ofMinutes(1);

  static final int MAX_CAUSES = 1000;

  /** Frames of our code; the first one names the bug even when the JDK threw. */
  private static final String OUR_CODE = "io.ktrdr.";

  private final Clock clock;

  /** The causes by key, oldest first; guarded by itself (only failed requests come here). */
  private final Map<String, Cause> causes =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cause> eldest) {
          return size() > MAX_CAUSES;
        }
      };

  /** One cause's reporting window. */
  private static final class Cause {
    long reportedAt = Long.MIN_VALUE;
    long repeats;
  }

  /**
   * @param clock when a window starts and ends (tests pass a clock they move)
   */
  ServerErrors(Clock clock) {
    this.clock = clock;
  }

  /**
   * Records that {@code method path}, matched to {@code route} (null when none matched), failed
   * with {@code error}; logs it if its turn has come.
   */
  void failed(String method, String path, String route, Throwable error) {
    String key = key(error, route);
    long now = clock.millis();
    long repeats;
    synchronized (causes) {
      Cause cause = causes.computeIfAbsent(key, k -> new Cause());
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

  /**
   * The exception class, the first frame of our code (the top frame when none is ours) and the
   * route: the same bug gives the same key, and two bugs that fail inside the same JDK method
   * ({@code Integer.parseInt}, {@code Objects.requireNonNull}) give two.
   */
  static String key(Throwable error, String route) {
    StackTraceElement[] stack = error.getStackTrace();
    StackTraceElement where = stack.length == 0 ? null : stack[0];
    for (StackTraceElement frame : stack) {
      if (frame.getClassName().startsWith(OUR_CODE)) {
        where = frame;
        break;
      }
    }
    return error.getClass().getName()
        + (where == null ? "" : " at " + where)
        + " on "
        + (route == null ? "(no route)" : route);
  }
}
