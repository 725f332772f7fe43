/** Tracing helpers: spans around blocks, context across threads, traced clients. */
@NullMarked
package io.ktrdr.telemetry.tracing;

import org.jspecify.annotations.NullMarked;
