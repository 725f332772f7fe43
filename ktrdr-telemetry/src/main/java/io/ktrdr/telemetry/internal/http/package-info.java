/**
 * HTTP server metrics and attributes shared by every server integration.
 *
 * <p>Internal: public only because another package of this library uses it; not part of the API;
 * may change in any release.
 */
@NullMarked
package io.ktrdr.telemetry.internal.http;

import org.jspecify.annotations.NullMarked;
