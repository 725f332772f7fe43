/**
 * The scrape path: the small metrics HTTP server, request parsing, budgets, the shared collection
 * and the refusal counters.
 *
 * <p>Internal: public only because another package of this library uses it; not part of the API;
 * may change in any release.
 */
@NullMarked
package io.ktrdr.telemetry.internal.scrape;

import org.jspecify.annotations.NullMarked;
