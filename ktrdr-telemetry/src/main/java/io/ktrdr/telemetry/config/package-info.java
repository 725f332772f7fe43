/** Validated configuration from environment variables; errors name the key and the value. */
package io.ktrdr.telemetry.config;
