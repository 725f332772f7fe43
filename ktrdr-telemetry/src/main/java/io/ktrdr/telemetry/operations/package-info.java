/** Spans, log context and metrics for long-running operations. */
@NullMarked
package io.ktrdr.telemetry.operations;

import org.jspecify.annotations.NullMarked;
