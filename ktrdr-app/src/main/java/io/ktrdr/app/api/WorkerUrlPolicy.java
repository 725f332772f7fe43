package io.ktrdr.app.api;

import io.ktrdr.app.http.ApiException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.function.IntSupplier;

/**
 * Decides whether the API may call a worker at a registered URL: http or https, a host and nothing
 * else (no user info, path, query or fragment), a host on the allow-list, and never the API itself
 * (a worker URL on the API's own address and port made the API dispatch to itself forever).
 */
final class WorkerUrlPolicy {
  private final HostAllowList allowList;
  private final IntSupplier apiPort;

  /** {@code apiPort}: the port the API listens on, read when a URL is validated. */
  WorkerUrlPolicy(HostAllowList allowList, IntSupplier apiPort) {
    this.allowList = allowList;
    this.apiPort = apiPort;
  }

  /** The normalized URL ({@code scheme://host:port}); 400 naming the rule it breaks. */
  String validate(String url) {
    if (url == null || url.length() > 255) {
      throw ApiException.badRequest("url must be an http:// or https:// URL of at most 255 chars");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (java.net.URISyntaxException e) {
      throw ApiException.badRequest("url is not a valid URL");
    }
    String scheme = uri.getScheme();
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw ApiException.badRequest("url must use http or https");
    }
    if (uri.getHost() == null) {
      throw ApiException.badRequest("url must name a host");
    }
    if (uri.getRawUserInfo() != null) {
      throw ApiException.badRequest("url must not carry user info");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw ApiException.badRequest("url must not carry a query or a fragment");
    }
    String path = uri.getRawPath();
    if (path != null && !path.isEmpty() && !path.equals("/")) {
      throw ApiException.badRequest("url must not carry a path: the worker's routes are fixed");
    }
    String host = uri.getHost();
    int port = uri.getPort() >= 0 ? uri.getPort() : ("https".equals(scheme) ? 443 : 80);
    if (port == 0) {
      throw ApiException.badRequest("url must name a port other than 0");
    }
    InetAddress[] addresses;
    try {
      addresses =
          InetAddress.getAllByName(
              host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
    } catch (UnknownHostException e) {
      throw ApiException.badRequest("url host does not resolve");
    }
    if (!allowList.allows(stripBrackets(host), addresses)) {
      throw new ApiException(
          403, "forbidden", "url host is not allowed for workers; see KTRDR_WORKER_ALLOWED_HOSTS");
    }
    if (port == apiPort.getAsInt()) {
      for (InetAddress address : addresses) {
        if (isLocal(address)) {
          throw new ApiException(
              403, "forbidden", "url points at the API itself; a worker needs its own address");
        }
      }
    }
    return scheme + "://" + host + ":" + port;
  }

  private static String stripBrackets(String host) {
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }

  private static boolean isLocal(InetAddress address) {
    if (address.isLoopbackAddress() || address.isAnyLocalAddress()) {
      return true;
    }
    try {
      return NetworkInterface.getByInetAddress(address) != null;
    } catch (SocketException e) {
      return true;
    }
  }
}
