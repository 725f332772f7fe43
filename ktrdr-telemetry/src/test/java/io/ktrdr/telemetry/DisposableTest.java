package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.telemetry.testing.Await;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.opentelemetry.api.common.Attributes;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code close()} returns the JVM to where it was: a hundred rounds of setup, traffic and close in
 * one JVM leave the live threads, the shutdown hooks, the GC notification listeners and the heap
 * where they were, and each closed registry empty. (The surefire configuration opens {@code
 * java.lang} and {@code sun.management} to count hooks and listeners.)
 */
class DisposableTest {
  private static final int ROUNDS = 100;

  private static KtrdrTelemetry round(OtlpReceiver receiver) {
    KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("disposable")
            .otlpEndpoint(receiver.endpoint())
            .environment(Map.of("KTRDR_METRICS_PORT", "0"))
            .build();
    telemetry.tracing().inSpan("work", Attributes.empty(), () -> null);
    telemetry.operations().run("backtest", "op", op -> null);
    String url = "http://127.0.0.1:" + telemetry.metricsServerPort().orElseThrow() + "/metrics";
    assertThat(Http.get(url).body()).contains("jvm_threads_current");
    telemetry.close();
    assertThat(telemetry.prometheusRegistry().scrape().size()).isZero();
    return telemetry;
  }

  private static int liveThreads() {
    return Thread.getAllStackTraces().size();
  }

  private static int shutdownHooks() throws Exception {
    Class<?> hooks = Class.forName("java.lang.ApplicationShutdownHooks");
    Field field = hooks.getDeclaredField("hooks");
    field.setAccessible(true);
    synchronized (hooks) {
      return ((Map<?, ?>) field.get(null)).size();
    }
  }

  /** Listeners on the GC beans (client_java's allocation metrics used to add some per registry). */
  private static int gcListeners() throws Exception {
    int count = 0;
    int beans = 0;
    for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
      Class<?> type = bean.getClass();
      while (type != null && !type.getName().equals("sun.management.NotificationEmitterSupport")) {
        type = type.getSuperclass();
      }
      if (type == null) {
        continue;
      }
      beans++;
      Field listeners = type.getDeclaredField("listenerList");
      listeners.setAccessible(true);
      count += ((Collection<?>) listeners.get(bean)).size();
    }
    assertThat(beans).as("GC beans whose listeners can be counted").isPositive();
    return count;
  }

  /** How many of {@code references} still point at their object, after asking for a GC. */
  private static long stillReachable(List<WeakReference<Object>> references) {
    System.gc();
    return references.stream().filter(reference -> reference.get() != null).count();
  }

  @Test
  @Timeout(300)
  void aHundredRoundsLeaveTheJvmAsTheyFoundIt() throws Exception {
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      for (int i = 0; i < 5; i++) {
        round(receiver); // class loading, JIT, the receiver's connections
      }
      int threads = liveThreads();
      int hooks = shutdownHooks();
      int listeners = gcListeners();
      // The heap does not grow when nothing holds a closed instance: no static map, hook,
      // listener or global keeps one. Their collection is the event waited for, not a heap size.
      List<WeakReference<Object>> closed = new ArrayList<>();
      for (int i = 0; i < ROUNDS; i++) {
        KtrdrTelemetry telemetry = round(receiver);
        closed.add(new WeakReference<>(telemetry));
        closed.add(new WeakReference<>(telemetry.openTelemetry()));
      }

      assertThat(shutdownHooks()).isEqualTo(hooks);
      assertThat(gcListeners()).isEqualTo(listeners);
      // Exporter threads end a little after close() returns: wait for them, do not sleep.
      Await.until(
          "live threads back to " + threads + " (now " + liveThreads() + ")",
          Duration.ofSeconds(30),
          () -> liveThreads() <= threads + 2);
      assertThat(closed).hasSize(2 * ROUNDS);
      Awaitility.await("every closed KtrdrTelemetry and its SDK collected")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> stillReachable(closed), reachable -> reachable == 0);
    }
  }
}
