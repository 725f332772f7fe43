package io.ktrdr.app.data;

import com.zaxxer.hikari.metrics.IMetricsTracker;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import com.zaxxer.hikari.metrics.PoolStats;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.util.List;

/**
 * The connection pool's own metrics, with OpenTelemetry's database semantic-convention names, fed
 * by HikariCP's metrics hook: {@code db.client.connection.count{db.client.connection.state}},
 * {@code db.client.connection.max}, {@code db.client.connection.pending_requests}, {@code
 * db.client.connection.timeouts} and {@code db.client.connection.wait_time}. (OpenTelemetry's
 * {@code opentelemetry-hikaricp-3.0} is not served at the instrumentation BOM's version here.)
 * Recording never throws.
 */
final class PoolMetrics implements MetricsTrackerFactory {
  private static final AttributeKey<String> POOL_NAME =
      AttributeKey.stringKey("db.client.connection.pool.name");
  private static final AttributeKey<String> STATE =
      AttributeKey.stringKey("db.client.connection.state");
  private static final List<Double> WAIT_BUCKETS =
      List.of(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0);

  private final Meter meter;

  PoolMetrics(Meter meter) {
    this.meter = meter;
  }

  @Override
  public IMetricsTracker create(String poolName, PoolStats stats) {
    Attributes pool = Attributes.of(POOL_NAME, poolName);
    Attributes idle = Attributes.of(POOL_NAME, poolName, STATE, "idle");
    Attributes used = Attributes.of(POOL_NAME, poolName, STATE, "used");
    meter
        .upDownCounterBuilder("db.client.connection.count")
        .setUnit("{connection}")
        .setDescription("Connections of the pool, by state (idle or used).")
        .buildWithCallback(
            gauge -> {
              gauge.record(stats.getIdleConnections(), idle);
              gauge.record(stats.getActiveConnections(), used);
            });
    meter
        .upDownCounterBuilder("db.client.connection.max")
        .setUnit("{connection}")
        .setDescription("The most connections the pool opens.")
        .buildWithCallback(gauge -> gauge.record(stats.getMaxConnections(), pool));
    meter
        .upDownCounterBuilder("db.client.connection.pending_requests")
        .setUnit("{request}")
        .setDescription("Threads waiting for a connection of the pool.")
        .buildWithCallback(gauge -> gauge.record(stats.getPendingThreads(), pool));
    LongCounter timeouts =
        meter
            .counterBuilder("db.client.connection.timeouts")
            .setUnit("{timeout}")
            .setDescription(
                "Requests for a connection that gave up after KTRDR_DATABASE_CONNECT_TIMEOUT_MS.")
            .build();
    DoubleHistogram waitTime =
        meter
            .histogramBuilder("db.client.connection.wait_time")
            .setUnit("s")
            .setDescription("Time taken to obtain a connection from the pool.")
            .setExplicitBucketBoundariesAdvice(WAIT_BUCKETS)
            .build();
    return new IMetricsTracker() {
      @Override
      public void recordConnectionAcquiredNanos(long nanos) {
        waitTime.record(nanos / 1e9, pool);
      }

      @Override
      public void recordConnectionTimeout() {
        timeouts.add(1, pool);
      }
    };
  }
}
