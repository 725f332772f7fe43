package io.ktrdr.telemetry.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.spi.AppenderAttachable;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.testing.Http;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.tracing.KtrdrTracing;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The shipped logback configuration, as an application includes it. */
class JsonLoggingTest {
  private static final String CONFIG =
      "<configuration>"
          + "<include resource=\"io/ktrdr/telemetry/logging/logback-ktrdr.xml\"/>"
          + "<root level=\"INFO\"><appender-ref ref=\"KTRDR\"/>"
          + "<appender-ref ref=\"KTRDR_OTLP\"/></root>"
          + "</configuration>";
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Logger logger = LoggerFactory.getLogger("io.ktrdr.app.DataService");

  private final ByteArrayOutputStream output = new ByteArrayOutputStream();

  /** Configures logback from the shipped file and sends the chosen format to {@link #output}. */
  @SuppressWarnings("unchecked")
  private void configure(String format) throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    context.getStatusManager().clear();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    if (format != null) {
      System.setProperty("KTRDR_LOG_FORMAT", format);
    }
    try {
      configurator.doConfigure(new ByteArrayInputStream(CONFIG.getBytes(StandardCharsets.UTF_8)));
    } finally {
      System.clearProperty("KTRDR_LOG_FORMAT");
    }
    AppenderAttachable<?> wrapper =
        (AppenderAttachable<?>) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("KTRDR");
    // Both appenders write to the buffer: the filter must keep the unselected one silent.
    ((OutputStreamAppender<?>) wrapper.getAppender("KTRDR_json")).setOutputStream(output);
    ((OutputStreamAppender<?>) wrapper.getAppender("KTRDR_text")).setOutputStream(output);
    // No warning but the expected ones (none at all is fine): configuring from a stream (not a
    // URL) has no watch list, an application's file does; background threads of earlier tests may
    // log while the context is being reset.
    assertThat(context.getStatusManager().getCopyOfStatusList())
        .filteredOn(status -> status.getLevel() >= ch.qos.logback.core.status.Status.WARN)
        .filteredOn(
            status ->
                !status.getMessage().contains("ConfigurationWatchList")
                    && !status.getMessage().contains("No appenders present"))
        .isEmpty();
  }

  @AfterEach
  void restoreTestLogging() throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    new ContextInitializer(context).autoConfig();
  }

  private List<JsonNode> lines() {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : output.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        lines.add(JSON.readTree(line));
      }
    }
    return lines;
  }

  private JsonNode line(String message) {
    return lines().stream()
        .filter(l -> message.equals(l.path("message").asString()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no line '" + message + "' in\n" + output));
  }

  @Test
  void aLineWrittenInARequestCarriesItsTraceAndTheServiceContext() throws Exception {
    configure(null);
    try (OtlpReceiver receiver = OtlpReceiver.start();
        LoggingApp app =
            LoggingApp.start(
                builder ->
                    builder
                        .serviceName("ktrdr-api")
                        .serviceVersion("3.1.0")
                        .deploymentEnvironment("staging")
                        .otlpEndpoint(receiver.endpoint())
                        .environment(Map.of("OTEL_BSP_SCHEDULE_DELAY", "50")),
                (config, telemetry) ->
                    config.routes.get(
                        "/load/{symbol}",
                        ctx -> {
                          logger
                              .atInfo()
                              .addKeyValue("symbol", ctx.pathParam("symbol"))
                              .addKeyValue("bars", 250)
                              .addKeyValue("coverage", 0.75)
                              .addKeyValue("complete", true)
                              .log("loaded bars");
                          ctx.result(KtrdrTracing.currentTraceId());
                        }));
        KtrdrLogback logging = KtrdrLogback.install(app.telemetry)) {
      String traceId = Http.get(app.url("/load/AAPL")).body();
      String exported = receiver.awaitSpan("GET /load/{symbol}").traceId();

      JsonNode line = line("loaded bars");
      assertThat(line.get("trace_id").asString()).isEqualTo(traceId).isEqualTo(exported);
      assertThat(line.get("span_id").asString()).hasSize(16);
      // Sampled (0x01); the SDK may also set W3C level 2's "random trace id" bit (0x02).
      assertThat(Integer.parseInt(line.get("trace_flags").asString(), 16) & 1).isEqualTo(1);
      assertThat(line.get("timestamp").asString())
          .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3,9}Z");
      assertThat(line.get("level").asString()).isEqualTo("INFO");
      assertThat(line.get("logger").asString()).isEqualTo("io.ktrdr.app.DataService");
      assertThat(line.get("thread").asString()).isNotBlank();
      assertThat(line.get("service.name").asString()).isEqualTo("ktrdr-api");
      assertThat(line.get("service.version").asString()).isEqualTo("3.1.0");
      assertThat(line.get("deployment.environment.name").asString()).isEqualTo("staging");
      assertThat(line.get("symbol").isString()).isTrue();
      assertThat(line.get("bars").isInt()).isTrue();
      assertThat(line.get("bars").asInt()).isEqualTo(250);
      assertThat(line.get("coverage").isDouble()).isTrue();
      assertThat(line.get("complete").isBoolean()).isTrue();
      assertThat(line.has("worker_id")).isFalse();
    }
  }

  @Test
  void operationAndWorkerIdsAppearWhileSetAndDisappearAfter() throws Exception {
    configure(null);
    KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("ktrdr-worker")
            .workerId("backtest-worker-1")
            .environment(Map.of())
            .shutdownHook(false)
            .build();
    KtrdrLogback logging = KtrdrLogback.install(telemetry);
    telemetry
        .operations()
        .run(
            "backtest",
            "op-77",
            op -> {
              logger.info("inside");
              return null;
            });
    logger.info("between");
    logging.close();
    telemetry.close();
    logger.info("after close");

    assertThat(line("inside").get("operation_id").asString()).isEqualTo("op-77");
    assertThat(line("inside").get("worker_id").asString()).isEqualTo("backtest-worker-1");
    assertThat(line("between").has("operation_id")).isFalse();
    assertThat(line("between").get("worker_id").asString()).isEqualTo("backtest-worker-1");
    assertThat(line("after close").has("worker_id")).isFalse();
    assertThat(line("after close").has("trace_id")).isFalse();
  }

  @Test
  void logsAreExportedOverOtlpWhenEnabled() throws Exception {
    configure(null);
    try (OtlpReceiver receiver = OtlpReceiver.start();
        KtrdrTelemetry telemetry =
            KtrdrTelemetry.builder()
                .serviceName("ktrdr-worker")
                .otlpEndpoint(receiver.endpoint())
                .environment(
                    Map.of(
                        "KTRDR_LOGS_OTLP_ENABLED", "true",
                        "OTEL_BLRP_SCHEDULE_DELAY", "50",
                        "OTEL_BSP_SCHEDULE_DELAY", "50"))
                .shutdownHook(false)
                .build();
        KtrdrLogback logging = KtrdrLogback.install(telemetry)) {
      String traceId =
          telemetry
              .tracing()
              .inSpan(
                  "work",
                  io.opentelemetry.api.common.Attributes.empty(),
                  () -> {
                    logger.atWarn().addKeyValue("bars", 7).log("exported line");
                    return KtrdrTracing.currentTraceId();
                  });

      OtlpReceiver.ReceivedLog log =
          receiver
              .awaitLogs(l -> l.body().equals("exported line"), java.time.Duration.ofSeconds(10))
              .get(0);
      assertThat(log.traceId()).isEqualTo(traceId);
      assertThat(log.attributes()).containsEntry("bars", "7");
      assertThat(log.resource()).containsEntry("service.name", "ktrdr-worker");
      assertThat(log.log().getSeverityText()).isEqualTo("WARN");
    }
  }

  @Test
  void logsAreNotExportedByDefault() throws Exception {
    configure(null);
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      KtrdrTelemetry telemetry =
          KtrdrTelemetry.builder()
              .serviceName("quiet")
              .otlpEndpoint(receiver.endpoint())
              .environment(Map.of("OTEL_BLRP_SCHEDULE_DELAY", "60000"))
              .shutdownHook(false)
              .build();
      try (KtrdrLogback logging = KtrdrLogback.install(telemetry)) {
        logger.info("local only");
        // A span through the same endpoint: the receiver's proof that the SDK exports at all.
        telemetry
            .tracing()
            .inSpan("probe", io.opentelemetry.api.common.Attributes.empty(), () -> 0);
      } finally {
        // close() exports whatever is pending, logs included: after it, nothing more arrives.
        telemetry.close();
      }
      assertThat(receiver.spans()).extracting(OtlpReceiver.ReceivedSpan::name).contains("probe");
      assertThat(receiver.logs()).isEmpty();
      assertThat(line("local only").get("service.name").asString()).isEqualTo("quiet");
    }
  }

  @Test
  void exceptionsBecomeAStackTraceField() throws Exception {
    configure(null);
    logger.error("backtest failed", new IllegalStateException("no bars"));

    JsonNode line = line("backtest failed");
    assertThat(line.get("level").asString()).isEqualTo("ERROR");
    assertThat(line.get("stack_trace").asString())
        .startsWith("java.lang.IllegalStateException: no bars")
        .contains("at io.ktrdr.telemetry.logback.JsonLoggingTest");
  }

  @Test
  void theTextFormatIsOneReadableLineWithTheTraceId() throws Exception {
    configure("text");
    try (KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("dev")
            .environment(Map.of())
            .shutdownHook(false)
            .build()) {
      String traceId =
          telemetry
              .tracing()
              .inSpan(
                  "work",
                  io.opentelemetry.api.common.Attributes.empty(),
                  () -> {
                    logger.atInfo().addKeyValue("bars", 3).log("text line");
                    return KtrdrTracing.currentTraceId();
                  });

      String text = output.toString(StandardCharsets.UTF_8);
      assertThat(text).doesNotContain("{\"");
      assertThat(text)
          .containsPattern(
              "\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z INFO  \\[[^]]+\\] io.ktrdr.app.DataService trace_id="
                  + traceId
                  + " operation_id=- - text line bars=\"?3\"?\n");
    }
  }

  /** An alert name made to forge a field, and every character that can end a line. */
  private static final String FORGED = "Q\" severity=\"critical\" forged_kv=\"1";

  private static final String BREAKS = "a\nb\rc\u0085d\u2028e\u2029f\u0000g\th\\i";

  @Test
  void theTextFormatKeepsEachEventOnOneLineAndEachValueInItsQuotes() throws Exception {
    configure("text");
    logger
        .atWarn()
        .addKeyValue("alertname", FORGED)
        .addKeyValue("note", BREAKS)
        .log("Alert firing: " + BREAKS);
    logger.error("failed", new IllegalStateException("line one\nline two\u2028three"));

    String text = output.toString(StandardCharsets.UTF_8);
    // \R: every Unicode line break (LF, CR, NEL, U+2028, U+2029, ...), as line-based tools see
    // them.
    List<String> lines = List.of(text.split("\\R"));
    assertThat(lines).hasSize(2);
    String alert = lines.get(0);
    assertThat(alert)
        .contains(
            " - Alert firing: a\\nb\\rc\\u0085d\\u2028e\\u2029f\\u0000g\\th\\i ",
            "alertname=\"Q\\\" severity=\\\"critical\\\" forged_kv=\\\"1\"",
            "note=\"a\\nb\\rc\\u0085d\\u2028e\\u2029f\\u0000g\\th\\\\i\"");
    // Read as key="value" pairs (quotes and backslashes escaped), the line has the real keys only.
    List<String> keys = new ArrayList<>();
    java.util.regex.Matcher pair =
        java.util.regex.Pattern.compile("([\\w.-]+)=\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(alert);
    while (pair.find()) {
      keys.add(pair.group(1));
    }
    assertThat(keys).containsExactly("alertname", "note");
    assertThat(lines.get(1))
        .contains(" - failed  java.lang.IllegalStateException: line one\\nline two\\u2028three")
        .contains("\\n\\tat io.ktrdr.telemetry.logback.JsonLoggingTest");
  }

  @Test
  void theJsonFormatEscapesUnicodeLineSeparatorsAndStaysValid() throws Exception {
    configure(null);
    logger.atInfo().addKeyValue("alertname", FORGED).addKeyValue("note", BREAKS).log(BREAKS);

    String text = output.toString(StandardCharsets.UTF_8);
    assertThat(text).doesNotContain("\u0085", "\u2028", "\u2029");
    assertThat(text).contains("\\u0085", "\\u2028", "\\u2029");
    List<String> lines = List.of(text.split("\\R"));
    assertThat(lines).hasSize(1);
    JsonNode line = JSON.readTree(lines.get(0));
    assertThat(line.get("message").asString()).isEqualTo(BREAKS);
    assertThat(line.get("note").asString()).isEqualTo(BREAKS);
    assertThat(line.get("alertname").asString()).isEqualTo(FORGED);
    assertThat(line.has("forged_kv")).isFalse();
  }

  /** An operation id (a caller's choice) made to forge an event and a key-value pair. */
  private static final String FORGED_ID =
      "op-1\n2026-01-01T00:00:00.000Z ERROR [main] io.ktrdr.app.Admin trace_id=- - forged"
          + " alertname=\"Q\"";

  /** A thread name with a line break, logged from inside an operation with {@link #FORGED_ID}. */
  private void logFromAForgedThreadAndOperation() throws Exception {
    try (KtrdrTelemetry telemetry =
        KtrdrTelemetry.builder()
            .serviceName("ktrdr-worker")
            .environment(Map.of())
            .shutdownHook(false)
            .build()) {
      Thread thread =
          new Thread(
              () ->
                  telemetry
                      .operations()
                      .run(
                          "backtest",
                          FORGED_ID,
                          op -> {
                            logger.info("inside");
                            return null;
                          }),
              "job\r\n2026-01-01T00:00:00.000Z WARN  [x] forged");
      thread.start();
      thread.join(10_000);
      assertThat(thread.isAlive()).isFalse();
    }
  }

  @Test
  void theTextFormatEscapesOperationIdsAndThreadNames() throws Exception {
    configure("text");
    logFromAForgedThreadAndOperation();

    List<String> lines =
        List.of(output.toString(StandardCharsets.UTF_8).split("\\R")).stream()
            .filter(l -> l.contains("inside"))
            .toList();
    assertThat(output.toString(StandardCharsets.UTF_8)).doesNotContain("forged\n", "forged\r");
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0))
        .contains(" [job\\r\\n2026-01-01T00:00:00.000Z WARN  [x] forged] ")
        .contains(
            " operation_id=op-1\\n2026-01-01T00:00:00.000Z ERROR [main] io.ktrdr.app.Admin"
                + " trace_id=- - forged alertname=\\\"Q\\\" - inside");
    // No line is the forged event (the telemetry's start-up line is the other one).
    assertThat(output.toString(StandardCharsets.UTF_8).split("\\R"))
        .isNotEmpty()
        .noneMatch(l -> l.startsWith("2026-01-01") || l.startsWith("\"2026-01-01"));
  }

  @Test
  void theJsonFormatKeepsOperationIdsAndThreadNamesInTheirFields() throws Exception {
    configure(null);
    logFromAForgedThreadAndOperation();

    // Every line is one whole JSON event: none starts with the forged text.
    assertThat(output.toString(StandardCharsets.UTF_8).split("\\R"))
        .isNotEmpty()
        .allSatisfy(l -> assertThat(l).startsWith("{\"timestamp\""));
    JsonNode inside = line("inside");
    assertThat(inside.get("operation_id").asString()).isEqualTo(FORGED_ID);
    assertThat(inside.get("thread").asString())
        .isEqualTo("job\r\n2026-01-01T00:00:00.000Z WARN  [x] forged");
  }
}
