/**
 * HTTP request metrics and server spans on any server: {@link
 * io.ktrdr.telemetry.http.ServletTelemetryFilter} for servlet containers (Jetty, Tomcat) and {@link
 * io.ktrdr.telemetry.http.HttpServerTelemetryFilter} for the JDK's {@code HttpServer}. Both record
 * what the Javalin plugin records, which uses the servlet filter.
 */
@NullMarked
package io.ktrdr.telemetry.http;

import org.jspecify.annotations.NullMarked;
