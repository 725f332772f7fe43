package io.ktrdr.telemetry.internal.http;

import static io.opentelemetry.semconv.ErrorAttributes.ERROR_TYPE;
import static io.opentelemetry.semconv.HttpAttributes.HTTP_REQUEST_METHOD;
import static io.opentelemetry.semconv.HttpAttributes.HTTP_RESPONSE_STATUS_CODE;
import static io.opentelemetry.semconv.HttpAttributes.HTTP_ROUTE;
import static io.opentelemetry.semconv.UrlAttributes.URL_SCHEME;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * Attribute sets for HTTP server metrics, built once per (method, scheme, route, status) and then
 * reused, so that recording a request allocates nothing. The number of cached routes is capped;
 * past the cap attributes are built per request (still correct, just not free).
 */
final class ServerAttributes {
  /** The methods the semantic conventions know; anything else is reported as {@code _OTHER}. */
  static final String[] METHODS = {
    "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE", "_OTHER"
  };

  static final int OTHER_METHOD = METHODS.length - 1;
  private static final String[] SCHEMES = {"http", "https"};
  private static final int STATUS_SLOTS = StatusCodes.MAX - StatusCodes.MIN + 1;

  private final int maxRoutes;
  private final Attributes[] active = new Attributes[METHODS.length * SCHEMES.length];
  private final ConcurrentHashMap<String, RouteTable> routes = new ConcurrentHashMap<>();
  private final RouteTable noRoute = new RouteTable(null);

  ServerAttributes(int maxRoutes) {
    this.maxRoutes = maxRoutes;
    for (int m = 0; m < METHODS.length; m++) {
      for (int s = 0; s < SCHEMES.length; s++) {
        active[slot(m, s)] = Attributes.of(HTTP_REQUEST_METHOD, METHODS[m], URL_SCHEME, SCHEMES[s]);
      }
    }
  }

  /** Index of {@code method} in {@link #METHODS}; unknown and lower-case methods are _OTHER. */
  static int methodIndex(String method) {
    if (method == null) {
      return OTHER_METHOD;
    }
    switch (method) {
      case "CONNECT":
        return 0;
      case "DELETE":
        return 1;
      case "GET":
        return 2;
      case "HEAD":
        return 3;
      case "OPTIONS":
        return 4;
      case "PATCH":
        return 5;
      case "POST":
        return 6;
      case "PUT":
        return 7;
      case "TRACE":
        return 8;
      default:
        return OTHER_METHOD;
    }
  }

  private static int slot(int methodIndex, int schemeIndex) {
    return methodIndex * SCHEMES.length + schemeIndex;
  }

  Attributes active(int methodIndex, boolean https) {
    return active[slot(methodIndex, https ? 1 : 0)];
  }

  /**
   * Attributes of the duration histogram. {@code error.type} is set for 5xx responses only: the
   * exception's class when the request failed before a response was sent, else the status code.
   */
  Attributes duration(
      int methodIndex,
      boolean https,
      @Nullable String route,
      int status,
      @Nullable Throwable error) {
    if (error != null && status >= 500) {
      return build(methodIndex, https, route, status, error.getClass().getName());
    }
    if (status < StatusCodes.MIN || status > StatusCodes.MAX) {
      return build(methodIndex, https, route, status, null);
    }
    RouteTable table = table(route);
    if (table == null) {
      return build(methodIndex, https, route, status, null);
    }
    return table.get(methodIndex, https, status);
  }

  private @Nullable RouteTable table(@Nullable String route) {
    if (route == null) {
      return noRoute;
    }
    RouteTable table = routes.get(route);
    if (table != null) {
      return table;
    }
    if (routes.size() >= maxRoutes) {
      return null;
    }
    return routes.computeIfAbsent(route, RouteTable::new);
  }

  static Attributes build(
      int methodIndex,
      boolean https,
      @Nullable String route,
      int status,
      @Nullable String errorType) {
    AttributesBuilder builder =
        Attributes.builder()
            .put(HTTP_REQUEST_METHOD, METHODS[methodIndex])
            .put(URL_SCHEME, https ? "https" : "http")
            .put(HTTP_RESPONSE_STATUS_CODE, (long) status);
    if (route != null) {
      builder.put(HTTP_ROUTE, route);
    }
    if (errorType != null) {
      builder.put(ERROR_TYPE, errorType);
    } else if (status >= 500) {
      builder.put(ERROR_TYPE, Integer.toString(status));
    }
    return builder.build();
  }

  /** The attribute sets of one route, filled lazily per (method, scheme) and status. */
  private static final class RouteTable {
    private final @Nullable String route;
    private final AtomicReferenceArray<AtomicReferenceArray<Attributes>> byMethodAndScheme =
        new AtomicReferenceArray<>(METHODS.length * SCHEMES.length);

    RouteTable(@Nullable String route) {
      this.route = route;
    }

    Attributes get(int methodIndex, boolean https, int status) {
      int slot = slot(methodIndex, https ? 1 : 0);
      AtomicReferenceArray<Attributes> byStatus = byMethodAndScheme.get(slot);
      if (byStatus == null) {
        byMethodAndScheme.compareAndSet(slot, null, new AtomicReferenceArray<>(STATUS_SLOTS));
        byStatus = byMethodAndScheme.get(slot);
      }
      int index = status - StatusCodes.MIN;
      Attributes attributes = byStatus.get(index);
      if (attributes == null) {
        attributes = build(methodIndex, https, route, status, null);
        if (!byStatus.compareAndSet(index, null, attributes)) {
          attributes = byStatus.get(index);
        }
      }
      return attributes;
    }
  }
}
