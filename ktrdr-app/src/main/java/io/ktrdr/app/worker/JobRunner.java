package io.ktrdr.app.worker;

import io.ktrdr.app.data.Bar;
import io.ktrdr.app.operations.OperationType;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.operations.Operation;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one operation at a time on a worker thread, inside the telemetry's operation helper: spans
 * {@code data_loading}, {@code strategy_init}/{@code model_init}, {@code simulation}/{@code
 * training}; progress reported to the API and as span events; cancellation honoured between steps.
 */
final class JobRunner implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(JobRunner.class);
  private static final AttributeKey<String> DATA_SYMBOL = AttributeKey.stringKey("data.symbol");
  private static final AttributeKey<String> DATA_TIMEFRAME =
      AttributeKey.stringKey("data.timeframe");
  private static final AttributeKey<Long> BAR_COUNT = AttributeKey.longKey("data.bars");

  /** The operation in progress. */
  private static final class Job {
    final String id;
    volatile boolean cancelRequested;

    Job(String id) {
      this.id = id;
    }
  }

  private final KtrdrTelemetry telemetry;
  private final ApiClient api;
  private final OperationType type;
  private final Duration stepDelay;
  private final ExecutorService executor;
  private final AtomicReference<Job> current = new AtomicReference<>();

  JobRunner(KtrdrTelemetry telemetry, ApiClient api, OperationType type, Duration stepDelay) {
    this.telemetry = telemetry;
    this.api = api;
    this.type = type;
    this.stepDelay = stepDelay;
    // Wrapped: the job runs in the trace of the request that started it.
    this.executor =
        telemetry
            .tracing()
            .wrap(
                Executors.newSingleThreadExecutor(
                    runnable -> {
                      Thread thread = new Thread(runnable, "ktrdr-job-" + type.code());
                      thread.setDaemon(true);
                      return thread;
                    }));
    telemetry.operations().declare(type.code());
  }

  boolean busy() {
    return current.get() != null;
  }

  /** The id of the operation running here, or null. */
  String currentOperation() {
    Job job = current.get();
    return job == null ? null : job.id;
  }

  /** Starts the operation unless one is running; returns whether it was accepted. */
  boolean trySubmit(String operationId, Map<String, Object> parameters) {
    Job job = new Job(operationId);
    if (!current.compareAndSet(null, job)) {
      return false;
    }
    executor.execute(
        () -> {
          try {
            run(job, parameters);
          } finally {
            current.compareAndSet(job, null);
          }
        });
    return true;
  }

  /** Asks the running operation {@code operationId} to stop; false when it is not running here. */
  boolean cancel(String operationId) {
    Job job = current.get();
    if (job == null || !job.id.equals(operationId)) {
      return false;
    }
    job.cancelRequested = true;
    return true;
  }

  private void run(Job job, Map<String, Object> parameters) {
    Operation operation = telemetry.operations().start(type.code(), job.id);
    try (Scope ignored = operation.makeCurrent()) {
      logger.atInfo().addKeyValue("operation_type", type.code()).log("Operation started");
      progress(job, operation, 0.0, "loading data");
      String symbol = (String) parameters.get("symbol");
      String timeframe = (String) parameters.get("timeframe");
      List<Bar> bars =
          telemetry
              .tracing()
              .inSpan(
                  "data_loading",
                  Attributes.of(DATA_SYMBOL, symbol, DATA_TIMEFRAME, timeframe),
                  () ->
                      api.bars(
                          symbol,
                          timeframe,
                          (String) parameters.get("start"),
                          (String) parameters.get("end")));
      operation.span().setAttribute(BAR_COUNT, (long) bars.size());
      checkCancelled(job);
      Map<String, Object> result =
          type == OperationType.BACKTEST
              ? backtest(job, operation, bars, parameters)
              : train(job, operation, bars, parameters);
      operation.complete();
      logger.atInfo().addKeyValue("operation_type", type.code()).log("Operation completed");
      api.report(job.id, "completed", 1.0, "completed", result, null);
    } catch (CancellationException e) {
      operation.cancel();
      logger.info("Operation cancelled");
      api.report(job.id, "cancelled", 0, "cancelled", null, "Cancelled on request");
    } catch (Exception e) {
      operation.fail(e);
      logger.warn("Operation failed: {}", e.toString());
      api.report(
          job.id,
          "failed",
          0,
          "failed",
          null,
          e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  private Map<String, Object> backtest(
      Job job, Operation operation, List<Bar> bars, Map<String, Object> parameters)
      throws Exception {
    int fast = ((Number) parameters.get("fast_period")).intValue();
    int slow = ((Number) parameters.get("slow_period")).intValue();
    double capital = ((Number) parameters.get("initial_capital")).doubleValue();
    telemetry
        .tracing()
        .inSpan(
            "strategy_init",
            Attributes.of(AttributeKey.stringKey("strategy.name"), "ma_crossover"),
            () -> {
              if (bars.size() <= slow) {
                throw new IllegalArgumentException(
                    "Not enough bars: " + bars.size() + " bars for a slow period of " + slow);
              }
            });
    return telemetry
        .tracing()
        .inSpan(
            "simulation",
            Attributes.of(BAR_COUNT, (long) bars.size()),
            () -> Backtester.run(bars, fast, slow, capital, steps(job, operation, "simulating")));
  }

  private Map<String, Object> train(
      Job job, Operation operation, List<Bar> bars, Map<String, Object> parameters)
      throws Exception {
    int epochs = ((Number) parameters.get("epochs")).intValue();
    double rate = ((Number) parameters.get("learning_rate")).doubleValue();
    int lookback = ((Number) parameters.get("lookback")).intValue();
    telemetry
        .tracing()
        .inSpan(
            "model_init",
            Attributes.of(AttributeKey.stringKey("model.name"), "logistic_regression"),
            () -> {});
    return telemetry
        .tracing()
        .inSpan(
            "training",
            Attributes.of(AttributeKey.longKey("training.epochs"), (long) epochs),
            () -> Trainer.run(bars, epochs, rate, lookback, steps(job, operation, "training")));
  }

  /** Reports every 10%, checks for cancellation and paces each step. */
  private Steps steps(Job job, Operation operation, String phase) {
    int[] lastTenth = {-1};
    return (done, total) -> {
      checkCancelled(job);
      int tenth = done * 10 / total;
      if (tenth != lastTenth[0]) {
        lastTenth[0] = tenth;
        progress(job, operation, 0.1 + 0.9 * done / total, phase + " " + done + "/" + total);
      }
      if (!stepDelay.isZero()) {
        try {
          Thread.sleep(stepDelay.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new CancellationException("interrupted");
        }
      }
    };
  }

  private void progress(Job job, Operation operation, double fraction, String message) {
    operation.progress(fraction, message);
    api.report(job.id, "running", fraction, message, null, null);
  }

  private static void checkCancelled(Job job) {
    if (job.cancelRequested) {
      throw new CancellationException("cancelled on request");
    }
  }

  @Override
  public void close() {
    Job job = current.get();
    if (job != null) {
      job.cancelRequested = true;
    }
    executor.shutdownNow();
  }
}
