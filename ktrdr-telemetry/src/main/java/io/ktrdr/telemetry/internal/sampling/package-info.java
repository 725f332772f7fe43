/**
 * Sampling: the keyed ratio sampler, the inbound trace-context policy and the trace keeper.
 *
 * <p>Internal: public only because another package of this library uses it; not part of the API;
 * may change in any release.
 */
@NullMarked
package io.ktrdr.telemetry.internal.sampling;

import org.jspecify.annotations.NullMarked;
