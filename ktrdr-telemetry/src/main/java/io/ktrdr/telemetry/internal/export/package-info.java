/**
 * OTLP export: batch processors, export outcome reporting and the quick-exit path when a collector
 * is down.
 *
 * <p>Internal: public only because another package of this library uses it; not part of the API;
 * may change in any release.
 */
@NullMarked
package io.ktrdr.telemetry.internal.export;

import org.jspecify.annotations.NullMarked;
