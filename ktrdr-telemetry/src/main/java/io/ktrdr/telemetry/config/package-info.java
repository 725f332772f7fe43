/** Validated configuration from environment variables; errors name the key and the value. */
@NullMarked
package io.ktrdr.telemetry.config;

import org.jspecify.annotations.NullMarked;
