package io.ktrdr.telemetry.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsExchange;
import io.ktrdr.telemetry.internal.http.HttpProtocol;
import io.ktrdr.telemetry.internal.http.StatusCodes;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesGetter;
import java.net.InetSocketAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Semantic-convention attributes and propagation headers of a JDK {@code HttpServer} exchange. */
enum ExchangeAttributesGetter
    implements
        HttpServerAttributesGetter<HttpExchange, HttpExchange>, TextMapGetter<HttpExchange>,
        ServerTracing.StartAttributes<HttpExchange> {
  INSTANCE;

  @Override
  public String urlPath(HttpExchange exchange) {
    return getUrlPath(exchange);
  }

  /** The host of the Host header ({@code [::1]} for IPv6, as sent), or null without one. */
  @Override
  public @Nullable String serverAddress(HttpExchange exchange) {
    String host = exchange.getRequestHeaders().getFirst("Host");
    if (host == null || host.isEmpty()) {
      return null;
    }
    int colon = portColon(host);
    return colon < 0 ? host : host.substring(0, colon);
  }

  /** The port of the Host header, else the scheme's default; 0 when the header's is not a port. */
  @Override
  public int serverPort(HttpExchange exchange) {
    String host = exchange.getRequestHeaders().getFirst("Host");
    int colon = host == null ? -1 : portColon(host);
    if (colon < 0) {
      return exchange instanceof HttpsExchange ? 443 : 80;
    }
    int port = 0;
    for (int i = colon + 1; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c < '0' || c > '9' || port > 65535) {
        return 0;
      }
      port = port * 10 + (c - '0');
    }
    return port <= 65535 ? port : 0;
  }

  /** The index of the colon before the port in a Host value, or -1 when it has no port. */
  private static int portColon(String host) {
    int colon = host.lastIndexOf(':');
    return colon > host.lastIndexOf(']') ? colon : -1;
  }

  @Override
  public String getHttpRequestMethod(HttpExchange exchange) {
    return exchange.getRequestMethod();
  }

  @Override
  public String getUrlScheme(HttpExchange exchange) {
    return exchange instanceof HttpsExchange ? "https" : "http";
  }

  @Override
  public String getUrlPath(HttpExchange exchange) {
    return exchange.getRequestURI().getRawPath();
  }

  @Override
  public @Nullable String getUrlQuery(HttpExchange exchange) {
    return exchange.getRequestURI().getRawQuery();
  }

  @Override
  public List<String> getHttpRequestHeader(HttpExchange exchange, String name) {
    List<String> values = exchange.getRequestHeaders().get(name);
    return values == null ? List.of() : values;
  }

  @Override
  public @Nullable Integer getHttpResponseStatusCode(
      HttpExchange exchange, HttpExchange response, @Nullable Throwable error) {
    int status = exchange.getResponseCode();
    return status > 0 ? StatusCodes.boxed(status) : null;
  }

  @Override
  public List<String> getHttpResponseHeader(
      HttpExchange exchange, HttpExchange response, String name) {
    List<String> values = exchange.getResponseHeaders().get(name);
    return values == null ? List.of() : values;
  }

  @Override
  public @Nullable String getNetworkProtocolName(
      HttpExchange exchange, @Nullable HttpExchange response) {
    String protocol = exchange.getProtocol();
    return protocol != null && protocol.startsWith("HTTP/") ? "http" : null;
  }

  @Override
  public @Nullable String getNetworkProtocolVersion(
      HttpExchange exchange, @Nullable HttpExchange response) {
    return HttpProtocol.version(exchange.getProtocol());
  }

  @Override
  public @Nullable String getNetworkPeerAddress(
      HttpExchange exchange, @Nullable HttpExchange response) {
    return address(exchange.getRemoteAddress());
  }

  @Override
  public @Nullable Integer getNetworkPeerPort(
      HttpExchange exchange, @Nullable HttpExchange response) {
    InetSocketAddress address = exchange.getRemoteAddress();
    return address == null ? null : address.getPort();
  }

  @Override
  public @Nullable String getNetworkLocalAddress(
      HttpExchange exchange, @Nullable HttpExchange response) {
    return address(exchange.getLocalAddress());
  }

  @Override
  public @Nullable Integer getNetworkLocalPort(
      HttpExchange exchange, @Nullable HttpExchange response) {
    InetSocketAddress address = exchange.getLocalAddress();
    return address == null ? null : address.getPort();
  }

  private static @Nullable String address(@Nullable InetSocketAddress address) {
    return address == null || address.getAddress() == null
        ? null
        : address.getAddress().getHostAddress();
  }

  @Override
  public Iterable<String> keys(HttpExchange exchange) {
    return exchange.getRequestHeaders().keySet();
  }

  @Override
  public @Nullable String get(@Nullable HttpExchange exchange, String key) {
    return exchange == null ? null : exchange.getRequestHeaders().getFirst(key);
  }
}
