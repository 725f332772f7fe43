package io.ktrdr.telemetry.internal.scrape;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The request line and header fields of one HTTP/1.x request, parsed strictly (RFC 9112): what the
 * standalone metrics server accepts. Anything it cannot read unambiguously (folded lines, a space
 * before a colon, control characters in a field value, two {@code Host} fields, a target neither in
 * origin nor in absolute form) is refused rather than guessed at.
 */
final class RequestHead {
  /** At most this many header fields; Prometheus sends about six. */
  static final int MAX_FIELDS = 100;

  final String method;
  final String path;
  final @Nullable String query;
  final boolean http11;
  private final Map<String, List<String>> fields;

  private RequestHead(
      String method,
      String path,
      @Nullable String query,
      boolean http11,
      Map<String, List<String>> fields) {
    this.method = method;
    this.path = path;
    this.query = query;
    this.http11 = http11;
    this.fields = fields;
  }

  /** A request the server refuses; {@code tooLarge} asks for {@code 431} instead of {@code 400}. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;
    final boolean tooLarge;

    Malformed(String message, boolean tooLarge) {
      super(message, null, false, false);
      this.tooLarge = tooLarge;
    }
  }

  /** The end of the head (after its empty line) in {@code bytes[0..length)}, or -1. */
  static int end(byte[] bytes, int from, int length) {
    for (int i = Math.max(from, 0); i < length; i++) {
      if (bytes[i] != '\n') {
        continue;
      }
      if (i + 1 < length && bytes[i + 1] == '\n') {
        return i + 2;
      }
      if (i + 2 < length && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') {
        return i + 3;
      }
    }
    return -1;
  }

  /** Parses {@code bytes[0..length)}, a head up to and including its empty line. */
  static RequestHead parse(byte[] bytes, int length) throws Malformed {
    String text = new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
    String[] lines = text.split("\r?\n", -1);
    String[] request = lines[0].split(" ", -1);
    if (request.length != 3) {
      throw new Malformed("a request line is a method, a target and a version", false);
    }
    String method = request[0];
    String target = request[1];
    String version = request[2];
    if (!isToken(method)) {
      throw new Malformed("bad method", false);
    }
    if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
      throw new Malformed("only HTTP/1.1 and HTTP/1.0", false);
    }
    if (!visible(target)) {
      throw new Malformed("the target must be a path", false);
    }
    target = originForm(target);
    if (!target.startsWith("/")) {
      throw new Malformed("the target must be a path", false);
    }
    int question = target.indexOf('?');
    String path = question < 0 ? target : target.substring(0, question);
    String query = question < 0 ? null : target.substring(question + 1);
    Map<String, List<String>> fields = new HashMap<>();
    int count = 0;
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      if (line.isEmpty()) {
        break;
      }
      if (++count > MAX_FIELDS) {
        throw new Malformed("too many header fields", true);
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || !isToken(line.substring(0, colon))) {
        // Also a line folded onto the previous one (obsolete, and a smuggling vector).
        throw new Malformed("bad header field", false);
      }
      String value = line.substring(colon + 1).strip();
      if (!fieldValue(value)) {
        // A bare CR or NUL is read differently by different parsers: a smuggling vector.
        throw new Malformed("a control character in a header field", false);
      }
      fields
          .computeIfAbsent(
              line.substring(0, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>(1))
          .add(value);
    }
    boolean http11 = version.equals("HTTP/1.1");
    if (http11 && !fields.containsKey("host")) {
      throw new Malformed("HTTP/1.1 requires Host", false);
    }
    if (fields.getOrDefault("host", List.of()).size() > 1) {
      throw new Malformed("more than one Host", false);
    }
    return new RequestHead(method, path, query, http11, fields);
  }

  /** The values of a field (any case), in order; empty when absent. */
  List<String> values(String name) {
    List<String> values = fields.get(name.toLowerCase(Locale.ROOT));
    return values == null ? Collections.emptyList() : values;
  }

  /** Whether the request carries a body (which this server never reads). */
  boolean hasBody() {
    if (!values("transfer-encoding").isEmpty()) {
      return true;
    }
    for (String length : values("content-length")) {
      if (!length.equals("0")) {
        return true;
      }
    }
    return false;
  }

  /** Whether the connection is to be closed after the response (always for HTTP/1.0). */
  boolean closes() {
    if (!http11) {
      return true;
    }
    for (String value : values("connection")) {
      for (String option : value.split(",")) {
        if (option.strip().equalsIgnoreCase("close")) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isToken(String text) {
    if (text.isEmpty()) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * The path and query of an absolute-form target ({@code http://host/metrics}, which a server must
   * accept, RFC 9112 3.2.2); the authority is ignored, as this server has a single origin.
   */
  private static String originForm(String target) {
    int scheme = target.indexOf("://");
    if (target.startsWith("/") || scheme <= 0) {
      return target;
    }
    String name = target.substring(0, scheme).toLowerCase(Locale.ROOT);
    if (!name.equals("http") && !name.equals("https")) {
      return target;
    }
    int path = target.indexOf('/', scheme + 3);
    int query = target.indexOf('?', scheme + 3);
    if (path < 0 || (query >= 0 && query < path)) {
      return query < 0 ? "/" : "/" + target.substring(query);
    }
    return target.substring(path);
  }

  /** Field content: visible characters, spaces and tabs only (RFC 9110 5.5). */
  private static boolean fieldValue(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < ' ' && c != '\t') || c == 0x7f) {
        return false;
      }
    }
    return true;
  }

  private static boolean visible(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }
}
