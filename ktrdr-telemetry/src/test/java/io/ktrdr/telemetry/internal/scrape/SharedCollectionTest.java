package io.ktrdr.telemetry.internal.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ktrdr.telemetry.testing.Await;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One collection at a time, shared by the scrapes that wait for it, each within its budget. */
class SharedCollectionTest {
  private static final Duration LONG = Duration.ofSeconds(20);

  /** A collector that counts its collections and, while {@link #hold} is set, blocks in them. */
  private static final class SlowCollector implements MultiCollector {
    final AtomicInteger collections = new AtomicInteger();
    final AtomicReference<CountDownLatch> hold = new AtomicReference<>(new CountDownLatch(0));
    final AtomicReference<RuntimeException> failure = new AtomicReference<>();

    @Override
    public MetricSnapshots collect() {
      int number = collections.incrementAndGet();
      try {
        if (!hold.get().await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never released the collector");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      RuntimeException fail = failure.get();
      if (fail != null) {
        throw fail;
      }
      return new MetricSnapshots(gauge("first_family", number), gauge("second_family", number));
    }

    private static GaugeSnapshot gauge(String name, double value) {
      return GaugeSnapshot.builder()
          .name(name)
          .dataPoint(GaugeDataPointSnapshot.builder().value(value).labels(Labels.EMPTY).build())
          .build();
    }

    CountDownLatch block() {
      CountDownLatch latch = new CountDownLatch(1);
      hold.set(latch);
      return latch;
    }
  }

  private final SlowCollector collector = new SlowCollector();
  private final SharedCollection shared;
  private final ExecutorService callers = Executors.newFixedThreadPool(8);

  SharedCollectionTest() {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(collector);
    shared = new SharedCollection(registry, Duration.ofSeconds(10));
  }

  @AfterEach
  void close() {
    collector.hold.get().countDown();
    shared.close();
    callers.shutdownNow();
  }

  private static long in(Duration budget) {
    return System.nanoTime() + budget.toNanos();
  }

  @Test
  void scrapesThatArriveDuringACollectionShareItsResult() throws Exception {
    CountDownLatch release = collector.block();
    List<Thread> waiting = new ArrayList<>();
    List<Future<MetricSnapshots>> results = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      results.add(
          callers.submit(
              () -> {
                synchronized (waiting) {
                  waiting.add(Thread.currentThread());
                }
                return shared.collect(in(LONG));
              }));
    }
    Await.until(
        "8 scrapes waiting for the collection",
        LONG,
        () -> {
          synchronized (waiting) {
            return waiting.size() == 8
                && waiting.stream().allMatch(t -> t.getState() == Thread.State.TIMED_WAITING);
          }
        });
    assertThat(collector.collections).hasValue(1);

    release.countDown();

    List<MetricSnapshots> snapshots = new ArrayList<>();
    for (Future<MetricSnapshots> result : results) {
      snapshots.add(result.get(LONG.toSeconds(), TimeUnit.SECONDS));
    }
    assertThat(snapshots).hasSize(8);
    assertThat(snapshots).allSatisfy(s -> assertThat(s).isSameAs(snapshots.get(0)));
    assertThat(collector.collections).hasValue(1);
    // A result is not kept: the next scrape collects again.
    shared.collect(in(LONG));
    assertThat(collector.collections).hasValue(2);
  }

  @Test
  void aScrapePastItsBudgetIsRefusedWhileTheStuckCollectionGoesOnAlone() {
    CountDownLatch release = collector.block();
    long start = System.nanoTime();
    assertThatThrownBy(() -> shared.collect(in(Duration.ofMillis(150))))
        .isSameAs(ScrapeRejected.TIMEOUT);
    long waited = System.nanoTime() - start;
    assertThat(waited).isBetween(TimeUnit.MILLISECONDS.toNanos(150), TimeUnit.SECONDS.toNanos(3));

    // Later scrapes join the stuck collection instead of starting more: one thread stays stuck.
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> shared.collect(in(Duration.ofMillis(50))))
          .isSameAs(ScrapeRejected.TIMEOUT);
    }
    // A deadline already past does not wait at all.
    long late = System.nanoTime();
    assertThatThrownBy(() -> shared.collect(late - 1)).isSameAs(ScrapeRejected.TIMEOUT);
    assertThat(System.nanoTime() - late).isLessThan(TimeUnit.SECONDS.toNanos(1));
    assertThat(collector.collections).hasValue(1);
    assertThat(shared.describeInFlight())
        .startsWith("the collection in progress started ")
        .contains("SharedCollectionTest$SlowCollector.collect");

    release.countDown();
    Await.until("the stuck collection to end", LONG, () -> shared.describeInFlight() == null);
    MetricSnapshots fresh = shared.collect(in(LONG));
    assertThat(fresh.size()).isEqualTo(2);
    assertThat(collector.collections).hasValue(2);
  }

  @Test
  void aFailedCollectionFailsItsScrapesAndTheNextOneCollectsAgain() {
    collector.failure.set(new IllegalStateException("callback failed"));
    assertThatThrownBy(() -> shared.collect(in(LONG)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("callback failed");

    collector.failure.set(null);
    assertThat(shared.collect(in(LONG)).size()).isEqualTo(2);
    assertThat(collector.collections).hasValue(2);
  }

  @Test
  void eachScrapeFiltersTheSharedResultByItself() {
    assertThat(shared.collect(name -> name.equals("second_family"), null))
        .extracting(s -> s.getMetadata().getPrometheusName())
        .containsExactly("second_family");
    assertThat(shared.collect(name -> true, null).size()).isEqualTo(2);
  }

  @Test
  void afterCloseNothingCollects() {
    shared.close();
    assertThatThrownBy(() -> shared.collect(in(LONG)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("The telemetry is closed");
    assertThat(collector.collections).hasValue(0);
  }
}
