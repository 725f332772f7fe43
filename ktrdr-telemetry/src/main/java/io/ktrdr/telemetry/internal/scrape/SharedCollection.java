package io.ktrdr.telemetry.internal.scrape;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.registry.PrometheusScrapeRequest;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * One collection of the source registry at a time, shared by every scrape that asks while it runs
 * (single-flight), on a thread of its own. A scrape waits for the collection only until its
 * deadline; then it is rejected ({@link ScrapeRejected#TIMEOUT}) and its thread is free, while the
 * collection goes on for the scrapes still waiting and the next one. An asynchronous callback that
 * blocks therefore holds one collecting thread, never a request thread: scrapes arriving meanwhile
 * join the stuck collection instead of starting more.
 *
 * <p>Served through a registry of its own, so client_java's scrape handler still encodes each
 * request in its own format with its own {@code name[]} filter, from the shared snapshots.
 */
public final class SharedCollection implements MultiCollector, AutoCloseable {
  private final PrometheusRegistry source;
  private final Duration defaultBudget;
  private final ThreadPoolExecutor collector;
  private final Object lock = new Object();

  // Guarded by lock.
  private @Nullable Flight inFlight;

  /** A collection in progress: its result, when it started, and the thread running it. */
  private static final class Flight {
    final CompletableFuture<MetricSnapshots> result = new CompletableFuture<>();
    final long startNanos = System.nanoTime();
    volatile @Nullable Thread thread;
  }

  public SharedCollection(PrometheusRegistry source, Duration defaultBudget) {
    this.source = source;
    this.defaultBudget = defaultBudget;
    // One thread: at most one collection runs, so at most one can be stuck. It ends when idle.
    this.collector =
        new ThreadPoolExecutor(
            1,
            1,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            runnable -> {
              Thread thread = new Thread(runnable, "ktrdr-metrics-collect");
              thread.setDaemon(true);
              return thread;
            });
    collector.allowCoreThreadTimeOut(true);
  }

  /**
   * The snapshots of the collection in progress, or of a new one; waits until {@code deadlineNanos}
   * ({@link System#nanoTime()}) at most.
   *
   * @throws ScrapeRejected with {@link ScrapeRejected#TIMEOUT} when the deadline passes first
   * @throws RuntimeException what the collection threw
   */
  MetricSnapshots collect(long deadlineNanos) {
    Flight flight = join();
    try {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0 && !flight.result.isDone()) {
        throw ScrapeRejected.TIMEOUT;
      }
      return flight.result.get(Math.max(left, 0), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw ScrapeRejected.TIMEOUT;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ScrapeRejected.TIMEOUT;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException("Collecting metrics failed", cause);
    }
  }

  private Flight join() {
    Flight flight;
    synchronized (lock) {
      if (inFlight != null) {
        return inFlight;
      }
      flight = new Flight();
      inFlight = flight;
    }
    try {
      collector.execute(() -> run(flight));
    } catch (RejectedExecutionException e) {
      finish(flight);
      flight.result.completeExceptionally(new IllegalStateException("The telemetry is closed", e));
    }
    return flight;
  }

  private void run(Flight flight) {
    flight.thread = Thread.currentThread();
    try {
      MetricSnapshots snapshots = source.scrape();
      finish(flight);
      flight.result.complete(snapshots);
    } catch (RuntimeException | Error e) {
      finish(flight);
      flight.result.completeExceptionally(e);
    } finally {
      flight.thread = null;
    }
  }

  /** Scrapes arriving from now on start a new collection. */
  private void finish(Flight flight) {
    synchronized (lock) {
      if (inFlight == flight) {
        inFlight = null;
      }
    }
  }

  /**
   * How long the collection in progress has been running, and where its thread is, when one runs:
   * for the log line of a timed-out scrape.
   */
  public @Nullable String describeInFlight() {
    Flight flight;
    synchronized (lock) {
      flight = inFlight;
    }
    if (flight == null) {
      return null;
    }
    StringBuilder text =
        new StringBuilder("the collection in progress started ")
            .append(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - flight.startNanos))
            .append(" ms ago");
    Thread thread = flight.thread;
    if (thread != null) {
      StackTraceElement[] stack = thread.getStackTrace();
      text.append("; its thread is at");
      for (int i = 0; i < Math.min(stack.length, 8); i++) {
        text.append("\n\tat ").append(stack[i]);
      }
    }
    return text.toString();
  }

  @Override
  public MetricSnapshots collect() {
    return collect(System.nanoTime() + defaultBudget.toNanos());
  }

  @Override
  public MetricSnapshots collect(@Nullable PrometheusScrapeRequest request) {
    return collect(deadline(request));
  }

  @Override
  public MetricSnapshots collect(Predicate<String> includedNames) {
    return filter(collect(), includedNames);
  }

  @Override
  public MetricSnapshots collect(
      Predicate<String> includedNames, @Nullable PrometheusScrapeRequest request) {
    return filter(collect(deadline(request)), includedNames);
  }

  private long deadline(@Nullable PrometheusScrapeRequest request) {
    return request instanceof BudgetedRequest budgeted
        ? budgeted.deadlineNanos()
        : System.nanoTime() + defaultBudget.toNanos();
  }

  private static MetricSnapshots filter(MetricSnapshots all, Predicate<String> includedNames) {
    List<MetricSnapshot> kept = new ArrayList<>(all.size());
    for (MetricSnapshot snapshot : all) {
      if (includedNames.test(snapshot.getMetadata().getPrometheusName())) {
        kept.add(snapshot);
      }
    }
    return kept.size() == all.size() ? all : new MetricSnapshots(kept);
  }

  /** Stops the collecting thread, interrupting a collection that is stuck. */
  @Override
  public void close() {
    collector.shutdownNow();
  }
}
