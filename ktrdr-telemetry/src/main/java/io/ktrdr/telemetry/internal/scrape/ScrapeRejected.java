package io.ktrdr.telemetry.internal.scrape;

/**
 * A scrape answered {@code 503} instead of waiting: thrown through client_java's scrape handler,
 * which hands it to the exchange. Shared instances without a stack trace: being busy is not a bug.
 */
public final class ScrapeRejected extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The scrape's budget ran out before the collection it waited for finished. */
  static final ScrapeRejected TIMEOUT = new ScrapeRejected(ScrapeRejections.Reason.TIMEOUT);

  /** As many scrapes as allowed were already in progress. */
  static final ScrapeRejected BUSY = new ScrapeRejected(ScrapeRejections.Reason.BUSY);

  private final transient ScrapeRejections.Reason reason;

  private ScrapeRejected(ScrapeRejections.Reason reason) {
    super("scrape rejected: " + reason.label(), null, false, false);
    this.reason = reason;
  }

  public ScrapeRejections.Reason reason() {
    return reason;
  }
}
