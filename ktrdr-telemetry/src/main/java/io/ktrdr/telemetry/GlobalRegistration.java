package io.ktrdr.telemetry;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.logs.LoggerProvider;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;
import org.jspecify.annotations.Nullable;

/**
 * {@code registerGlobal(true)} through public OpenTelemetry API only. {@link GlobalOpenTelemetry}
 * can be set once per JVM and never unset (its {@code resetForTest()} is for tests), so the library
 * sets it, once, to a forwarding instance and points that at the SDK of the {@link KtrdrTelemetry}
 * that registered: {@link #release} points it back at the no-op when that one closes, and the next
 * {@code build()} with {@code registerGlobal(true)} takes the place. What stays: {@code
 * GlobalOpenTelemetry.isSet()} is {@code true} after the first registration, so other code cannot
 * {@code set()} it any more (as after any registration), and tracers or meters taken from the
 * global before {@code close()} belong to the closed SDK and record nothing.
 */
final class GlobalRegistration {
  private static final Object lock = new Object();
  private static final OpenTelemetry NOOP = OpenTelemetry.noop();

  /** The instance the library set as {@code GlobalOpenTelemetry}, when it did. Guarded by lock. */
  private static @Nullable Forwarding installed;

  private GlobalRegistration() {}

  /**
   * Makes {@code sdk} the global one.
   *
   * @throws IllegalStateException when another {@link KtrdrTelemetry} holds the place, or when
   *     other code set {@code GlobalOpenTelemetry} (or read it, which sets the no-op for good)
   */
  static void register(OpenTelemetry sdk) {
    synchronized (lock) {
      Forwarding current = installed;
      // resetForTest() (tests) unsets the global behind our back: then the place is free again.
      if (current != null && GlobalOpenTelemetry.isSet()) {
        if (current.delegate != NOOP) {
          throw new IllegalStateException(
              "registerGlobal(true): another KtrdrTelemetry is registered as GlobalOpenTelemetry;"
                  + " close it first");
        }
        current.delegate = sdk;
        return;
      }
      Forwarding forwarding = new Forwarding(sdk);
      // Throws, naming where, when other code set it first.
      GlobalOpenTelemetry.set(forwarding);
      installed = forwarding;
    }
  }

  /** Gives the place up when {@code sdk} holds it: the global becomes a no-op again. */
  static void release(OpenTelemetry sdk) {
    synchronized (lock) {
      Forwarding current = installed;
      if (current != null && current.delegate == sdk) {
        current.delegate = NOOP;
      }
    }
  }

  /** The global instance: whatever SDK registered last and is not closed, else the no-op. */
  private static final class Forwarding implements OpenTelemetry {
    volatile OpenTelemetry delegate;

    Forwarding(OpenTelemetry delegate) {
      this.delegate = delegate;
    }

    @Override
    public TracerProvider getTracerProvider() {
      return delegate.getTracerProvider();
    }

    @Override
    public MeterProvider getMeterProvider() {
      return delegate.getMeterProvider();
    }

    @Override
    public LoggerProvider getLogsBridge() {
      return delegate.getLogsBridge();
    }

    @Override
    public ContextPropagators getPropagators() {
      return delegate.getPropagators();
    }

    @Override
    public String toString() {
      return "KtrdrTelemetryGlobal{" + delegate + "}";
    }
  }
}
