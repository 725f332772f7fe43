package io.ktrdr.telemetry.internal.errors;

import io.opentelemetry.api.OpenTelemetry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one {@link TelemetryErrors} of each SDK the library assembled, so that "logged at most once a
 * minute" holds per component of a service, not per object: {@code KtrdrTelemetry} registers the
 * instance it creates with its SDK and removes it at {@code close()}; the HTTP filter, the HTTP
 * metrics and the operation tracker look it up. An {@link OpenTelemetry} the library did not
 * assemble gets an instance of its own per call site, as before.
 *
 * <p>Internal: not part of the public API, may change without notice.
 */
public final class SdkErrors {
  /** Keyed by identity: {@code OpenTelemetrySdk} does not override {@code equals}. */
  private static final Map<OpenTelemetry, TelemetryErrors> bySdk = new ConcurrentHashMap<>();

  private SdkErrors() {}

  /** Makes {@code errors} the one of {@code sdk}; {@link #unregister} when the SDK closes. */
  public static void register(OpenTelemetry sdk, TelemetryErrors errors) {
    bySdk.put(sdk, errors);
  }

  /** Forgets {@code sdk}'s instance. */
  public static void unregister(OpenTelemetry sdk) {
    bySdk.remove(sdk);
  }

  /** {@code openTelemetry}'s registered instance, else a new one. */
  public static TelemetryErrors of(OpenTelemetry openTelemetry) {
    TelemetryErrors errors = bySdk.get(openTelemetry);
    return errors != null ? errors : TelemetryErrors.create(openTelemetry);
  }
}
