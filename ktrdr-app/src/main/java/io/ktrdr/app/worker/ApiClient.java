package io.ktrdr.app.worker;

import io.ktrdr.app.data.Bar;
import io.ktrdr.app.http.Credentials;
import io.ktrdr.app.http.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The worker's calls to the API, over a traced client: bars for an operation, progress reports,
 * registration. Each call continues the current trace.
 */
final class ApiClient {
  private static final Logger logger = LoggerFactory.getLogger(ApiClient.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** How long a final report is retried while the API is unreachable. */
  static final Duration FINAL_REPORT_RETRY = Duration.ofMinutes(2);

  private final String apiUrl;
  private final HttpClient client;
  private final String authorization;
  private final String workerId;

  ApiClient(String apiUrl, HttpClient tracedClient, String authorization, String workerId) {
    this.apiUrl = apiUrl;
    this.client = tracedClient;
    this.authorization = authorization;
    this.workerId = workerId;
  }

  /** Bars from {@code GET /api/v1/data/{symbol}/{timeframe}}. */
  List<Bar> bars(String symbol, String timeframe, String start, String end)
      throws IOException, InterruptedException {
    StringBuilder url =
        new StringBuilder(apiUrl)
            .append("/api/v1/data/")
            .append(encode(symbol))
            .append('/')
            .append(encode(timeframe))
            .append('?');
    if (start != null) {
      url.append("start=").append(encode(start)).append('&');
    }
    if (end != null) {
      url.append("end=").append(encode(end));
    }
    HttpResponse<String> response = sendRetrying(request(url.toString()).build());
    if (response.statusCode() != 200) {
      throw new IOException(
          "The API answered " + response.statusCode() + " for bars: " + response.body());
    }
    JsonNode body = Json.MAPPER.readTree(response.body());
    return Json.MAPPER.convertValue(
        body.get("bars"), new tools.jackson.core.type.TypeReference<List<Bar>>() {});
  }

  /**
   * Sends {@code request}, retrying while the API cannot be reached or answers 503 (it may be
   * restarting), for up to {@link #FINAL_REPORT_RETRY}.
   */
  private HttpResponse<String> sendRetrying(HttpRequest request)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + FINAL_REPORT_RETRY.toNanos();
    for (int attempt = 1; ; attempt++) {
      try {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 503 || System.nanoTime() > deadline) {
          return response;
        }
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
      Thread.sleep(Math.min(2000, 100L * attempt));
    }
  }

  /**
   * Reports progress or a final state; failures are logged, never thrown. A final state is retried
   * while the API is unreachable or unavailable (it may be restarting), for up to {@link
   * #FINAL_REPORT_RETRY}.
   */
  void report(
      String operationId,
      String status,
      double progress,
      String message,
      Map<String, Object> result,
      String error) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", status);
    body.put("progress", progress);
    body.put("message", message);
    body.put("result", result);
    body.put("error", error);
    boolean retry = !status.equals("running");
    long deadline = System.nanoTime() + FINAL_REPORT_RETRY.toNanos();
    for (int attempt = 1; ; attempt++) {
      try {
        HttpResponse<String> response =
            post("/api/v1/operations/" + encode(operationId) + "/progress", body);
        if (response.statusCode() == 200) {
          return;
        }
        if (!retry || response.statusCode() < 500) {
          logger.warn(
              "The API did not take the report for {}: {} {}",
              operationId,
              response.statusCode(),
              response.body());
          return;
        }
      } catch (IOException | RuntimeException e) {
        // A report must never fail the operation: the API may be restarting.
        if (!retry) {
          logger.warn(
              "Could not report {} of {} to the API: {}", status, operationId, e.toString());
          return;
        }
        if (attempt == 1) {
          logger.warn(
              "Could not report {} of {} to the API ({}); retrying",
              status,
              operationId,
              e.toString());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (System.nanoTime() > deadline) {
        logger.warn("Gave up reporting {} of {} to the API", status, operationId);
        return;
      }
      try {
        Thread.sleep(Math.min(2000, 100L * attempt));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Registers this worker; the API's response (200 when registered). */
  HttpResponse<String> register(String workerType, String instanceId, String workerUrl)
      throws IOException, InterruptedException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("worker_id", workerId);
    body.put("worker_type", workerType);
    body.put("instance_id", instanceId);
    body.put("url", workerUrl);
    return post("/api/v1/workers/register", body);
  }

  /** A heartbeat; the status code (404: the API does not know this worker, register again). */
  int heartbeat(String instanceId) throws IOException, InterruptedException {
    return post(
            "/api/v1/workers/" + encode(workerId) + "/heartbeat", Map.of("instance_id", instanceId))
        .statusCode();
  }

  private HttpRequest.Builder request(String url) {
    return HttpRequest.newBuilder(URI.create(url))
        .timeout(TIMEOUT)
        .header("Authorization", authorization)
        .header(Credentials.WORKER_HEADER, workerId);
  }

  private HttpResponse<String> post(String path, Map<String, Object> body)
      throws IOException, InterruptedException {
    return client.send(
        request(apiUrl + path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(body)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
