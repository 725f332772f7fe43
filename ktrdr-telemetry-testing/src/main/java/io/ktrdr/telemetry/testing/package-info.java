/**
 * Test tools for services instrumented with ktrdr-telemetry, and for the library's own tests: real
 * sockets on loopback, no mocks.
 *
 * <ul>
 *   <li>{@link io.ktrdr.telemetry.testing.OtlpReceiver}: an OTLP/HTTP collector that decodes and
 *       keeps the spans and log records it receives;
 *   <li>{@link io.ktrdr.telemetry.testing.HangingCollector} (accepts, never answers) and {@link
 *       io.ktrdr.telemetry.testing.FaultyCollector} (429, 503, tarpit, garbage): collectors that
 *       fail, to show the service does not;
 *   <li>{@link io.ktrdr.telemetry.testing.Scrape}: a Prometheus/OpenMetrics scrape parsed for
 *       assertions; {@link io.ktrdr.telemetry.testing.Http} and {@link
 *       io.ktrdr.telemetry.testing.RawHttp}: a JDK client with short timeouts, and HTTP/1.1 by
 *       hand;
 *   <li>{@link io.ktrdr.telemetry.testing.Await}: condition waits (Awaitility); {@link
 *       io.ktrdr.telemetry.testing.LogCapture}: logback's {@code ListAppender} for one logger;
 *       {@link io.ktrdr.telemetry.testing.Ports}: a free loopback port;
 *   <li>{@link io.ktrdr.telemetry.testing.PublicApi}: a module's public API as a committed listing.
 * </ul>
 *
 * <p>It does not depend on ktrdr-telemetry: add it in test scope next to the library.
 */
package io.ktrdr.telemetry.testing;
