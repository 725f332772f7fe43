package io.ktrdr.telemetry.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * The JDK {@link HttpClient} with short timeouts (5 s to connect, 10 s per request) and no
 * redirects, for tests on real sockets. A request that fails to complete is an {@link
 * AssertionError}; any status is returned.
 *
 * <pre>{@code
 * HttpResponse<String> scrape = Http.get("http://127.0.0.1:" + port + "/metrics");
 * assertThat(scrape.statusCode()).isEqualTo(200);
 * }</pre>
 */
public final class Http {
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(5))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  private Http() {}

  /** The shared client. */
  public static HttpClient client() {
    return CLIENT;
  }

  /** A request to {@code url} with the 10 s timeout, to complete and {@link #send}. */
  public static HttpRequest.Builder request(String url) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
  }

  /** {@code GET url} with the given header name/value pairs; the body as a string. */
  public static HttpResponse<String> get(String url, String... headers) {
    HttpRequest.Builder request = request(url).GET();
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(request.build());
  }

  /**
   * {@code GET url}, or empty when the request could not be made (nothing listens yet, the
   * connection was reset): for waiting until a server is up.
   */
  public static Optional<HttpResponse<String>> tryGet(String url) {
    try {
      return Optional.of(
          CLIENT.send(request(url).GET().build(), HttpResponse.BodyHandlers.ofString()));
    } catch (IOException notYet) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Sends {@code request}; the body as a string. */
  public static HttpResponse<String> send(HttpRequest request) {
    return send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** Sends {@code request}; the body as bytes (a gzip or protobuf response). */
  public static HttpResponse<byte[]> sendBytes(HttpRequest request) {
    return send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  private static <T> HttpResponse<T> send(
      HttpRequest request, HttpResponse.BodyHandler<T> bodyHandler) {
    try {
      return CLIENT.send(request, bodyHandler);
    } catch (IOException e) {
      throw new AssertionError("request failed: " + request, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
