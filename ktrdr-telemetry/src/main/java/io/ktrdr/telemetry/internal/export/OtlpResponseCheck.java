package io.ktrdr.telemetry.internal.export;

import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.HttpResponse;
import io.opentelemetry.sdk.common.export.HttpSender;
import io.opentelemetry.sdk.common.export.HttpSenderProvider;
import io.opentelemetry.sdk.common.export.MessageWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks that a collector's 2xx answer to an OTLP/HTTP export is an OTLP response: the exporters of
 * OpenTelemetry 1.65 count every 2xx as delivered whatever the body, so a proxy or a broken
 * collector that answers {@code 200 OK} with an HTML page or garbage silently loses everything. The
 * exporter's {@link HttpSender} (the public SPI) is wrapped: a 2xx whose body a protobuf parser
 * would reject as an {@code Export*ServiceResponse} (or, for {@code http/json}, that is not a JSON
 * object) fails the export with {@link InvalidResponseException}, counted as {@code
 * reason="invalid_response"}; items the collector rejected in an OTLP partial success are counted
 * as {@code reason="rejected"}. An empty body is a valid (empty) response. The response headers are
 * not given to senders, so the {@code Content-Type} cannot be checked.
 *
 * <p>Internal: not part of the public API.
 */
final class OtlpResponseCheck {
  private static final Pattern JSON_REJECTED =
      Pattern.compile("\"rejected(?:Spans|LogRecords|DataPoints)\"\\s*:\\s*\"?(\\d{1,18})");

  private OtlpResponseCheck() {}

  /** A 2xx answer whose body is not an OTLP response. */
  public static final class InvalidResponseException extends IOException {
    private static final long serialVersionUID = 1L;

    InvalidResponseException(int status, int length) {
      super(
          "the collector answered HTTP "
              + status
              + " with a body that is not an OTLP response ("
              + length
              + " bytes)");
    }
  }

  /**
   * The component loader to give an OTLP/HTTP exporter's builder: it loads what the default one
   * loads from this library's class loader, with the HTTP sender checked. With several HTTP senders
   * on the class path the SDK picks one by class name, so then they are left as they are.
   */
  public static ComponentLoader loader(ExportReporter reporter) {
    ComponentLoader base = ComponentLoader.forClassLoader(OtlpResponseCheck.class.getClassLoader());
    return new ComponentLoader() {
      @Override
      public <T> Iterable<T> load(Class<T> spiClass) {
        Iterable<T> found = base.load(spiClass);
        if (spiClass != HttpSenderProvider.class) {
          return found;
        }
        List<T> providers = new ArrayList<>();
        found.forEach(providers::add);
        if (providers.size() != 1) {
          return providers;
        }
        HttpSenderProvider provider = (HttpSenderProvider) providers.get(0);
        return List.of(spiClass.cast(checking(provider, reporter)));
      }

      @Override
      public String toString() {
        return "OtlpResponseCheck{" + base + "}";
      }
    };
  }

  static HttpSenderProvider checking(HttpSenderProvider provider, ExportReporter reporter) {
    return config -> {
      HttpSender sender = provider.createSender(config);
      boolean json = config.getContentType().contains("json");
      return new CheckingSender(sender, json, reporter);
    };
  }

  private static final class CheckingSender implements HttpSender {
    private final HttpSender delegate;
    private final boolean json;
    private final ExportReporter reporter;

    CheckingSender(HttpSender delegate, boolean json, ExportReporter reporter) {
      this.delegate = delegate;
      this.json = json;
      this.reporter = reporter;
    }

    @Override
    public void send(
        MessageWriter messageWriter,
        Consumer<HttpResponse> onResponse,
        Consumer<Throwable> onError) {
      delegate.send(
          messageWriter,
          response -> {
            int status = response.getStatusCode();
            if (status < 200 || status >= 300) {
              onResponse.accept(response);
              return;
            }
            byte[] body = response.getResponseBody();
            long rejected = json ? jsonRejected(body) : protobufRejected(body);
            if (rejected < 0) {
              onError.accept(new InvalidResponseException(status, body == null ? 0 : body.length));
              return;
            }
            if (rejected > 0) {
              reporter.rejected(rejected);
            }
            onResponse.accept(response);
          },
          onError);
    }

    @Override
    public CompletableResultCode shutdown() {
      return delegate.shutdown();
    }
  }

  /**
   * The items rejected in an {@code Export*ServiceResponse} encoded as protobuf, 0 when none, or -1
   * when {@code body} is not one: {@code partial_success} (field 1, a message) holds {@code
   * rejected_*} (field 1, varint) and {@code error_message} (field 2, string); unknown fields are
   * skipped as a protobuf parser does.
   */
  static long protobufRejected(byte[] body) {
    if (body == null) {
      return 0;
    }
    Reader top = new Reader(body, 0, body.length);
    long rejected = 0;
    while (top.more()) {
      long tag = top.varint();
      if (tag < 0) {
        return -1;
      }
      int field = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      if (field == 1) {
        if (wire != 2) {
          return -1;
        }
        int length = top.length();
        if (length < 0) {
          return -1;
        }
        long inner = partialSuccess(new Reader(body, top.position, top.position + length));
        if (inner < 0) {
          return -1;
        }
        rejected += inner;
        top.position += length;
      } else if (field == 0 || !top.skip(wire)) {
        return -1;
      }
    }
    return rejected;
  }

  private static long partialSuccess(Reader reader) {
    long rejected = 0;
    while (reader.more()) {
      long tag = reader.varint();
      if (tag < 0) {
        return -1;
      }
      int field = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      if (field == 1) {
        if (wire != 0) {
          return -1;
        }
        long value = reader.varint();
        if (value < 0) {
          return -1;
        }
        rejected = value;
      } else if (field == 2) {
        if (wire != 2 || !reader.skip(wire)) {
          return -1;
        }
      } else if (field == 0 || !reader.skip(wire)) {
        return -1;
      }
    }
    return rejected;
  }

  /** Reads protobuf wire format within {@code [position, end)}; -1 for anything malformed. */
  private static final class Reader {
    private final byte[] bytes;
    private final int end;
    private int position;

    Reader(byte[] bytes, int position, int end) {
      this.bytes = bytes;
      this.position = position;
      this.end = end;
    }

    boolean more() {
      return position < end;
    }

    /** A varint of at most 63 bits, or -1. */
    long varint() {
      long value = 0;
      for (int shift = 0; shift < 63; shift += 7) {
        if (position >= end) {
          return -1;
        }
        byte b = bytes[position++];
        value |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return value;
        }
      }
      return -1;
    }

    /** A length prefix that fits in what is left, or -1. */
    int length() {
      long length = varint();
      return length < 0 || length > end - position ? -1 : (int) length;
    }

    /** Skips a value of wire type {@code wire}; false when malformed or a group. */
    boolean skip(int wire) {
      switch (wire) {
        case 0:
          return varint() >= 0;
        case 1:
          position += 8;
          return position <= end;
        case 2:
          int length = length();
          if (length < 0) {
            return false;
          }
          position += length;
          return true;
        case 5:
          position += 4;
          return position <= end;
        default:
          return false;
      }
    }
  }

  /** The same for {@code http/json}: a JSON object (or nothing), or -1. */
  static long jsonRejected(byte[] body) {
    if (body == null) {
      return 0;
    }
    String text = new String(body, StandardCharsets.UTF_8).strip();
    if (text.isEmpty()) {
      return 0;
    }
    if (!text.startsWith("{") || !text.endsWith("}")) {
      return -1;
    }
    Matcher matcher = JSON_REJECTED.matcher(text);
    return matcher.find() ? Long.parseLong(matcher.group(1)) : 0;
  }
}
