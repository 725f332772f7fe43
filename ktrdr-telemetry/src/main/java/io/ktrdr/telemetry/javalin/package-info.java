/** The Javalin 7 plugin: HTTP server metrics, server spans and {@code /metrics}. */
@NullMarked
package io.ktrdr.telemetry.javalin;

import org.jspecify.annotations.NullMarked;
