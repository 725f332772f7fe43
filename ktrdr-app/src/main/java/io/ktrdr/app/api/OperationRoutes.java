package io.ktrdr.app.api;

import static io.ktrdr.app.api.ApiServer.MAX_RESULT;
import static io.ktrdr.app.api.ApiServer.PREFIX;
import static io.ktrdr.app.api.ApiServer.PROGRESS_BODY;
import static io.ktrdr.app.api.ApiServer.START_BODY;
import static io.ktrdr.app.api.ApiServer.operation;
import static io.ktrdr.app.api.ApiServer.pageBody;
import static io.ktrdr.app.api.ApiServer.paged;
import static io.ktrdr.app.api.ApiServer.requireReady;
import static io.ktrdr.app.api.ApiServer.start;
import static io.ktrdr.app.http.RouteCatalog.doc;

import io.ktrdr.app.data.BarRepository;
import io.ktrdr.app.http.Access;
import io.ktrdr.app.http.ApiException;
import io.ktrdr.app.http.Credentials;
import io.ktrdr.app.http.RouteCatalog;
import io.ktrdr.app.operations.OperationRecord;
import io.ktrdr.app.operations.OperationState;
import io.ktrdr.app.operations.OperationStore;
import io.ktrdr.app.operations.OperationType;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The operation routes: start a backtest or a training, list, read and cancel operations, and the
 * progress workers report.
 */
final class OperationRoutes {
  private OperationRoutes() {}

  static void register(
      RouteCatalog catalog,
      AtomicBoolean ready,
      BarRepository bars,
      OperationStore store,
      Dispatcher dispatcher,
      Credentials credentials) {
    catalog.post(
        PREFIX + OperationType.BACKTEST.startPath(),
        doc("operations", "Start a moving-average crossover backtest on a backtesting worker")
            .body(
                Map.of(
                    "symbol",
                    "AAPL",
                    "timeframe",
                    "1d",
                    "start",
                    "2023-01-01",
                    "fast_period",
                    10,
                    "slow_period",
                    30,
                    "initial_capital",
                    10000),
                START_BODY)
            .responds(202, "dispatched")
            .responds(400, "invalid body")
            .responds(404, "unknown symbol")
            .responds(503, "no backtesting worker available"),
        ctx -> {
          Requests.BacktestRequest request = Requests.body(ctx, Requests.BacktestRequest.class);
          Map<String, Object> parameters = Requests.validate(request);
          requireReady(ready);
          Requests.checkData(parameters, bars, request.slowPeriodOrDefault() + 1);
          start(ctx, store, dispatcher, OperationType.BACKTEST, parameters);
        });
    catalog.post(
        PREFIX + OperationType.TRAINING.startPath(),
        doc("operations", "Start training a direction classifier on a training worker")
            .body(
                Map.of(
                    "symbol",
                    "MSFT",
                    "timeframe",
                    "1d",
                    "epochs",
                    50,
                    "learning_rate",
                    0.1,
                    "lookback",
                    5),
                START_BODY)
            .responds(202, "dispatched")
            .responds(400, "invalid body")
            .responds(404, "unknown symbol")
            .responds(503, "no training worker available"),
        ctx -> {
          Requests.TrainingRequest request = Requests.body(ctx, Requests.TrainingRequest.class);
          Map<String, Object> parameters = Requests.validate(request);
          requireReady(ready);
          Requests.checkData(parameters, bars, request.lookbackOrDefault() + 2);
          start(ctx, store, dispatcher, OperationType.TRAINING, parameters);
        });
    catalog.get(
        PREFIX + "/operations",
        paged(doc("operations", "Operations, newest first, a page at a time"), "operations"),
        ctx -> {
          requireReady(ready);
          int limit = Requests.LIMIT.parse(ctx.queryParam("limit"));
          int offset = Requests.OFFSET.parse(ctx.queryParam("offset"));
          OperationStore.Page page = store.page(limit, offset);
          ctx.json(pageBody("operations", page.operations(), page.total(), limit, offset));
        });
    catalog.get(
        PREFIX + "/operations/{id}",
        doc("operations", "One operation: status, progress, result summary, error")
            .responds(200, "the operation")
            .responds(404, "unknown operation"),
        ctx -> {
          requireReady(ready);
          ctx.json(operation(store, ctx.pathParam("id")).toJson());
        });
    catalog.delete(
        PREFIX + "/operations/{id}",
        doc("operations", "Cancel an operation")
            .responds(202, "cancellation requested (or done, when no worker had it yet)")
            .responds(404, "unknown operation")
            .responds(409, "already finished"),
        ctx -> {
          requireReady(ready);
          OperationRecord record = operation(store, ctx.pathParam("id"));
          if (!record.cancel()) {
            throw ApiException.conflict(
                "Operation " + record.id() + " is already " + record.state().code());
          }
          if (record.state() == OperationState.CANCELLING && !dispatcher.cancel(record)) {
            record.finish(
                OperationState.CANCELLED, null, "Cancelled; the worker could not be reached");
          }
          ctx.status(202).json(record.toJson());
        });
    catalog.post(
        PREFIX + "/operations/{id}/progress",
        doc("operations", "Progress and final state, reported by the worker running it")
            .access(Access.CLUSTER)
            .body(
                Map.of("status", "running", "progress", 0.5, "message", "simulating"),
                PROGRESS_BODY)
            .responds(200, "applied")
            .responds(401, "no or wrong cluster secret")
            .responds(403, "not the worker the operation is assigned to")
            .responds(404, "unknown operation")
            .responds(409, "the operation is already final")
            .responds(413, "body or result too large"),
        ctx -> {
          requireReady(ready);
          OperationRecord record = operation(store, ctx.pathParam("id"));
          String sender = ctx.header(Credentials.WORKER_HEADER);
          if (sender == null || !sender.equals(record.workerId())) {
            throw credentials.forbidden(
                Access.CLUSTER,
                "Operation " + record.id() + " is not assigned to the worker sending this report");
          }
          Requests.ProgressReport report =
              Requests.validate(Requests.body(ctx, Requests.ProgressReport.class), MAX_RESULT);
          OperationState state = OperationState.parseFinalOrRunning(report.status());
          boolean applied =
              state == OperationState.RUNNING
                  ? record.progress(
                      report.progress() == null ? 0 : report.progress(), report.message())
                  : record.finish(state, report.result(), report.error());
          if (!applied) {
            throw ApiException.conflict(
                "Operation " + record.id() + " is already " + record.state().code());
          }
          ctx.json(record.toJson());
        });
  }
}
