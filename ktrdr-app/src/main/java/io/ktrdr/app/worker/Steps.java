package io.ktrdr.app.worker;

import java.util.concurrent.CancellationException;

/**
 * Called by a computation at each step: reports progress, honours cancellation (by throwing {@link
 * CancellationException}) and paces the work.
 */
@FunctionalInterface
interface Steps {
  void step(int done, int total) throws CancellationException;
}
