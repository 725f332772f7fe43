package io.ktrdr.examples.log4j2;

import io.ktrdr.telemetry.KtrdrTelemetry;
import io.opentelemetry.api.common.Attributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An application that logs through SLF4J to log4j2, configured by its own {@code log4j2.xml}. A
 * line logged inside a span carries that span's trace and span ids ({@code %X{trace_id}}, {@code
 * %X{span_id}}), put there by OpenTelemetry's log4j2 context-data provider.
 */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    try (KtrdrTelemetry telemetry = KtrdrTelemetry.setup("log4j2-example")) {
      telemetry
          .tracing()
          .inSpan("import_prices", Attributes.empty(), () -> log.info("importing prices"));
    }
  }
}
