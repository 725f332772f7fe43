/**
 * Histogram configuration (classic, native or both) applied to the metric views.
 *
 * <p>Internal: public only because another package of this library uses it; not part of the API;
 * may change in any release.
 */
@NullMarked
package io.ktrdr.telemetry.internal.metrics;

import org.jspecify.annotations.NullMarked;
