/**
 * Entry point: {@link io.ktrdr.telemetry.KtrdrTelemetry}, its builder, and the {@code /metrics}
 * handler.
 */
@NullMarked
package io.ktrdr.telemetry;

import org.jspecify.annotations.NullMarked;
