/**
 * How the library counts and reports its own failures: the error counter and the per-SDK error
 * handler.
 *
 * <p>Internal: public only because another package of this library uses it; not part of the API;
 * may change in any release.
 */
@NullMarked
package io.ktrdr.telemetry.internal.errors;

import org.jspecify.annotations.NullMarked;
