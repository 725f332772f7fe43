package io.ktrdr.bench;

import com.sun.net.httpserver.HttpServer;
import io.ktrdr.telemetry.KtrdrTelemetry;
import io.ktrdr.telemetry.http.ServletTelemetryFilter;
import io.opentelemetry.exporter.internal.otlp.traces.LowAllocationTraceRequestMarshaler;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.Compressor;
import io.opentelemetry.sdk.common.export.HttpSender;
import io.opentelemetry.sdk.common.export.HttpSenderConfig;
import io.opentelemetry.sdk.common.export.HttpSenderProvider;
import io.opentelemetry.sdk.common.export.MessageWriter;
import io.opentelemetry.sdk.common.export.ProxyOptions;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;

/**
 * Where the CPU time of exporting a span goes, in four stages measured in one run on the same
 * spans: real server spans, made by driving requests through the library's {@link
 * ServletTelemetryFilter} (as {@link SampledCost} does) and captured by {@link
 * CapturingSpanExporter}, so that they have the name, kind, attributes and resource of the
 * library's server span; then, in batches of the configured size:
 *
 * <ol>
 *   <li><b>marshal</b>: each batch serialized to OTLP protobuf into a stream that discards, with
 *       the marshaler the OTLP exporter uses in its default memory mode ({@code
 *       LowAllocationTraceRequestMarshaler}: size, then write). This class, and the sender
 *       provider's {@code OkHttpHttpSender} behind {@link HttpSenderProvider}, are OpenTelemetry's
 *       exporter-internal classes: used here, in the benchmark only, never in the library;
 *   <li><b>send</b>: the bytes of each batch, serialized beforehand, POSTed with OpenTelemetry's
 *       OkHttp sender configured as the OTLP/HTTP exporter configures it (protobuf, no compression,
 *       10 s timeouts, the default retry policy) to the in-process {@link OtlpSink}, one at a time;
 *   <li><b>exporter</b>: the OTLP span exporter as the library builds it ({@link KtrdrTelemetry},
 *       so with its export reporter and response check), exporting the same batches, one at a time
 *       (its batch span processor is reached by reflection into the SDK, for lack of a public way);
 *   <li><b>pipeline</b>: the same number of requests through the filter of that same {@link
 *       KtrdrTelemetry}, exported by its batch span processor (as in {@code SampledCost}).
 * </ol>
 *
 * <p>Each stage runs three rounds to warm up, then three measured rounds; the median one counts.
 * CPU time and bytes allocated are HotSpot's per-thread counters ({@code ThreadMXBean}), read
 * before and after: every thread of the process except the sink's for the first three stages, and
 * except the sink's and the request thread ({@code main}) for the pipeline, whose figure is so the
 * export threads' (batch processor, OkHttp) alone. CPU time depends much less on the machine's load
 * than wall time, so the ratios, from one run, compare on a busy machine.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.ktrdr.bench.ExportCost [--spans N] [--batch N]
 * [page.md]} (defaults: 100000 spans, batches of 2048, the library's default). With a page, writes
 * the section between {@code <!-- export-cost:start -->} and {@code <!-- export-cost:end -->}.
 */
public final class ExportCost {
  static final String SECTION = "export-cost";

  /** The target: the whole pipeline at most this many times marshal + send. */
  static final double TARGET = 1.5;

  private static final int DEFAULT_SPANS = 100_000;
  private static final int DEFAULT_BATCH = 2048;
  private static final long TIMEOUT_SECONDS = 60;
  private static final int WARMUP_ROUNDS = 3;
  private static final int MEASURED_ROUNDS = 3;

  private ExportCost() {}

  /** One stage's measured round: CPU time and bytes allocated over its spans. */
  record Stage(String name, String what, long spans, long cpuNanos, long bytes) {
    double nanosPerSpan() {
      return cpuNanos / (double) spans;
    }

    double bytesPerSpan() {
      return bytes / (double) spans;
    }
  }

  /** What one run measured. */
  record Result(int spans, int batch, long exportedBytes, List<Stage> stages) {
    Stage stage(String name) {
      return stages.stream().filter(s -> s.name.equals(name)).findFirst().orElseThrow();
    }

    /** CPU per span of marshal + send. */
    double floorNanos() {
      return stage("marshal").nanosPerSpan() + stage("send").nanosPerSpan();
    }

    double ratio(String name) {
      return stage(name).nanosPerSpan() / floorNanos();
    }
  }

  public static void main(String[] args) throws Exception {
    int spans = DEFAULT_SPANS;
    int batch = DEFAULT_BATCH;
    Path page = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--spans" -> spans = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        default -> page = Path.of(args[i]);
      }
    }
    if (spans < batch || batch < 1) {
      throw new IllegalArgumentException("need --spans >= --batch >= 1");
    }
    Result result = run(spans, batch);
    System.out.printf(
        Locale.ROOT,
        "%d spans in batches of %d, %d B per span in OTLP protobuf%n",
        spans,
        batch,
        result.exportedBytes);
    for (Stage stage : result.stages) {
      System.out.printf(
          Locale.ROOT,
          "%-9s %8.3f µs/span %8.0f B/span  (%s)%n",
          stage.name,
          stage.nanosPerSpan() / 1000,
          stage.bytesPerSpan(),
          stage.what);
    }
    System.out.printf(
        Locale.ROOT,
        "pipeline / (marshal + send) = %.2f, exporter / (marshal + send) = %.2f; target <= %.1f:"
            + " %s%n",
        result.ratio("pipeline"),
        result.ratio("exporter"),
        TARGET,
        result.ratio("pipeline") <= TARGET ? "met" : "missed");
    if (page != null) {
      PageSection.write(page, SECTION, ExportCostSection.markdown(result));
    }
  }

  static Result run(int spans, int batch) throws Exception {
    HttpServer sink = OtlpSink.start(0);
    String endpoint = "http://127.0.0.1:" + sink.getAddress().getPort();
    try {
      List<List<SpanData>> batches = batches(capture(spans), batch);
      if (System.getProperty("exportcost.dump") != null) {
        System.out.println(batches.get(0).get(0));
      }
      List<byte[]> bodies = new ArrayList<>();
      long exportedBytes = 0;
      for (List<SpanData> spansOfBatch : batches) {
        byte[] body = serialize(spansOfBatch);
        bodies.add(body);
        exportedBytes += body.length;
      }
      List<Stage> stages = new ArrayList<>();
      try (KtrdrTelemetry telemetry = telemetry(endpoint, spans, batch, Map.of())) {
        SpanExporter exporter = exporterOf(telemetry);
        stages.add(
            twice(
                "marshal",
                "OTLP protobuf into a discarding stream, one thread",
                spans,
                ExportCost::notSink,
                () -> marshal(batches)));
        HttpSender sender = sender(endpoint + "/v1/traces");
        try {
          stages.add(
              twice(
                  "send",
                  "the serialized batches POSTed with OkHttp to the sink",
                  spans,
                  ExportCost::notSink,
                  () -> send(sender, bodies)));
        } finally {
          sender.shutdown().join(10, TimeUnit.SECONDS);
        }
        stages.add(
            twice(
                "exporter",
                "the library's OTLP span exporter, batch after batch",
                spans,
                ExportCost::notSink,
                () -> export(exporter, batches)));
        stages.add(pipeline(telemetry, spans));
      }
      return new Result(spans, batch, exportedBytes / spans, stages);
    } finally {
      sink.stop(0);
    }
  }

  /**
   * Runs {@code work} {@value #WARMUP_ROUNDS} times to warm up (the JIT compiles what the stage
   * runs, not what an earlier stage ran), then {@value #MEASURED_ROUNDS} times measured; the round
   * of median CPU time stands for the stage.
   */
  private static Stage twice(
      String name, String what, long spans, Predicate<String> threads, ThrowingRunnable work)
      throws Exception {
    for (int i = 0; i < WARMUP_ROUNDS; i++) {
      work.run();
    }
    List<Usage> rounds = new ArrayList<>();
    for (int i = 0; i < MEASURED_ROUNDS; i++) {
      Usage before = Usage.now(threads);
      work.run();
      rounds.add(Usage.now(threads).minus(before));
    }
    Usage median = median(rounds);
    return new Stage(name, what, spans, median.cpuNanos, median.bytes);
  }

  private static Usage median(List<Usage> rounds) {
    List<Usage> sorted = new ArrayList<>(rounds);
    sorted.sort(java.util.Comparator.comparingLong(Usage::cpuNanos));
    return sorted.get(sorted.size() / 2);
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  /** The threads of the in-process sink (its workers, the JDK server's dispatcher and timer). */
  static boolean notSink(String thread) {
    return !thread.startsWith("otlp-sink")
        && !thread.startsWith("HTTP-Dispatcher")
        && !thread.startsWith("idle-timeout-task");
  }

  /** A telemetry whose span queue holds every span of a round, so none is dropped. */
  private static KtrdrTelemetry telemetry(
      String endpoint, int spans, int batch, Map<String, String> extra) {
    Map<String, String> environment = new HashMap<>();
    environment.put("OTEL_BSP_MAX_QUEUE_SIZE", Integer.toString(spans));
    environment.put("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", Integer.toString(batch));
    environment.putAll(extra);
    return KtrdrTelemetry.builder()
        .serviceName("bench")
        .otlpEndpoint(endpoint)
        .jvmMetrics(false)
        .shutdownHook(false)
        .environment(environment)
        .build();
  }

  /** {@code spans} server spans of the library's filter, as its batch processor exports them. */
  private static List<SpanData> capture(int spans) throws Exception {
    CapturingSpanExporter.take();
    try (KtrdrTelemetry telemetry =
        telemetry(
            "http://127.0.0.1:9",
            spans,
            DEFAULT_BATCH,
            Map.of("OTEL_TRACES_EXPORTER", CapturingSpanExporter.NAME))) {
      requests(ServletTelemetryFilter.builder(telemetry).routeResolver(null).build(), spans);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
      while (CapturingSpanExporter.count() < spans) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("spans not captured within " + TIMEOUT_SECONDS + " s");
        }
        Thread.sleep(20);
      }
    }
    return CapturingSpanExporter.take().subList(0, spans);
  }

  /**
   * {@code requests} sampled requests through {@code filter}, as {@code SampledCost} makes them.
   */
  private static void requests(ServletTelemetryFilter filter, int requests) throws Exception {
    LightRequest request =
        new LightRequest(
            "Host",
            "127.0.0.1:8080",
            "User-Agent",
            "wrk",
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    LightResponse response = new LightResponse();
    FilterChain chain =
        (req, res) -> {
          ServletTelemetryFilter.routeMatched((HttpServletRequest) req, FilterBenchmark.ROUTE);
          ((HttpServletResponse) res).setStatus(200);
        };
    for (int i = 0; i < requests; i++) {
      request.reset();
      filter.doFilter(request, response, chain);
    }
  }

  private static List<List<SpanData>> batches(List<SpanData> spans, int batch) {
    List<List<SpanData>> batches = new ArrayList<>();
    for (int from = 0; from < spans.size(); from += batch) {
      batches.add(new ArrayList<>(spans.subList(from, Math.min(spans.size(), from + batch))));
    }
    return batches;
  }

  private static byte[] serialize(List<SpanData> batch) throws IOException {
    LowAllocationTraceRequestMarshaler marshaler = new LowAllocationTraceRequestMarshaler();
    marshaler.initialize(batch);
    ByteArrayOutputStream out = new ByteArrayOutputStream(marshaler.getBinarySerializedSize());
    marshaler.writeBinaryTo(out);
    return out.toByteArray();
  }

  /** Stage (a): what the exporter does to a batch before the HTTP call, and its writing. */
  private static void marshal(List<List<SpanData>> batches) throws IOException {
    LowAllocationTraceRequestMarshaler marshaler = new LowAllocationTraceRequestMarshaler();
    Discard discard = new Discard();
    for (List<SpanData> batch : batches) {
      marshaler.initialize(batch);
      int size = marshaler.getBinarySerializedSize();
      marshaler.writeBinaryTo(discard);
      marshaler.reset();
      if (discard.take() != size) {
        throw new IllegalStateException("wrote other than the computed size");
      }
    }
  }

  /** An output stream that counts and discards. */
  private static final class Discard extends OutputStream {
    private long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
    }

    long take() {
      long taken = count;
      count = 0;
      return taken;
    }
  }

  /** OpenTelemetry's HTTP sender (OkHttp), configured as the OTLP/HTTP span exporter does. */
  private static HttpSender sender(String url) {
    HttpSenderProvider provider =
        ServiceLoader.load(HttpSenderProvider.class).findFirst().orElseThrow();
    Map<String, List<String>> headers = Map.of();
    return provider.createSender(
        new HttpSenderConfig() {
          @Override
          public URI getEndpoint() {
            return URI.create(url);
          }

          @Override
          public String getContentType() {
            return "application/x-protobuf";
          }

          @Override
          public @Nullable Compressor getCompressor() {
            return null;
          }

          @Override
          public Duration getTimeout() {
            return Duration.ofSeconds(10);
          }

          @Override
          public Duration getConnectTimeout() {
            return Duration.ofSeconds(10);
          }

          @Override
          public Supplier<Map<String, List<String>>> getHeadersSupplier() {
            return () -> headers;
          }

          @Override
          public @Nullable ProxyOptions getProxyOptions() {
            return null;
          }

          @Override
          public RetryPolicy getRetryPolicy() {
            return RetryPolicy.getDefault();
          }

          @Override
          public @Nullable SSLContext getSslContext() {
            return null;
          }

          @Override
          public @Nullable X509TrustManager getTrustManager() {
            return null;
          }

          @Override
          public @Nullable ExecutorService getExecutorService() {
            return null;
          }
        });
  }

  /** Stage (b): each body POSTed, the next once the sink answered. */
  private static void send(HttpSender sender, List<byte[]> bodies) throws Exception {
    for (byte[] body : bodies) {
      CompletableFuture<Integer> status = new CompletableFuture<>();
      sender.send(
          new MessageWriter() {
            @Override
            public void writeMessage(OutputStream output) throws IOException {
              output.write(body);
            }

            @Override
            public int getContentLength() {
              return body.length;
            }
          },
          response -> status.complete(response.getStatusCode()),
          status::completeExceptionally);
      int code = status.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (code != 200) {
        throw new IllegalStateException("the sink answered " + code);
      }
    }
  }

  /** Stage (c): the library's exporter, one batch at a time as the batch processor calls it. */
  private static void export(SpanExporter exporter, List<List<SpanData>> batches) {
    for (List<SpanData> batch : batches) {
      CompletableResultCode result = exporter.export(batch).join(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (!result.isSuccess()) {
        throw new IllegalStateException("export failed", result.getFailureThrowable());
      }
    }
  }

  /**
   * The span exporter of {@code telemetry}'s batch span processor. The SDK has no public way to
   * reach a tracer provider's processor, so this reads its private state by reflection.
   */
  static SpanExporter exporterOf(KtrdrTelemetry telemetry) throws ReflectiveOperationException {
    SdkTracerProvider provider =
        ((OpenTelemetrySdk) telemetry.openTelemetry()).getSdkTracerProvider();
    Field sharedState = SdkTracerProvider.class.getDeclaredField("sharedState");
    sharedState.setAccessible(true);
    Object state = sharedState.get(provider);
    Method active = state.getClass().getDeclaredMethod("getActiveSpanProcessor");
    active.setAccessible(true);
    SpanProcessor processor = (SpanProcessor) active.invoke(state);
    if (!(processor instanceof BatchSpanProcessor)) {
      throw new IllegalStateException("not a batch span processor: " + processor);
    }
    return ((BatchSpanProcessor) processor).getSpanExporter();
  }

  /** Stage (d): requests through the filter, until the batch processor has exported them all. */
  private static Stage pipeline(KtrdrTelemetry telemetry, int spans) throws Exception {
    ServletTelemetryFilter filter =
        ServletTelemetryFilter.builder(telemetry).routeResolver(null).build();
    Predicate<String> exportThreads = thread -> notSink(thread) && !thread.equals("main");
    long expected = SampledCost.processed(telemetry);
    for (int i = 0; i < WARMUP_ROUNDS; i++) {
      requests(filter, spans);
      expected += spans;
      SampledCost.awaitExported(telemetry, expected);
    }
    List<Usage> rounds = new ArrayList<>();
    for (int i = 0; i < MEASURED_ROUNDS; i++) {
      Usage before = Usage.now(exportThreads);
      requests(filter, spans);
      expected += spans;
      SampledCost.awaitExported(telemetry, expected);
      rounds.add(Usage.now(exportThreads).minus(before));
    }
    Usage used = median(rounds);
    return new Stage(
        "pipeline",
        "requests through the filter, export threads only (batch processor, OkHttp)",
        spans,
        used.cpuNanos,
        used.bytes);
  }

  /** CPU time and allocation of the threads whose names {@code threads} accepts. */
  record Usage(long cpuNanos, long bytes) {
    static Usage now(Predicate<String> threads) {
      com.sun.management.ThreadMXBean bean =
          (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long cpu = 0;
      long bytes = 0;
      for (var info : bean.getThreadInfo(bean.getAllThreadIds())) {
        if (info == null || !threads.test(info.getThreadName())) {
          continue;
        }
        cpu += Math.max(0, bean.getThreadCpuTime(info.getThreadId()));
        bytes += Math.max(0, bean.getThreadAllocatedBytes(info.getThreadId()));
      }
      return new Usage(cpu, bytes);
    }

    Usage minus(Usage other) {
      return new Usage(cpuNanos - other.cpuNanos, bytes - other.bytes);
    }
  }
}
