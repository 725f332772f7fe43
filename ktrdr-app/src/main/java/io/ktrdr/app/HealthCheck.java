package io.ktrdr.app;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A container health check that needs nothing but the JRE: {@code java -cp ktrdr-app.jar
 * io.ktrdr.app.HealthCheck http://127.0.0.1:8000/api/v1/health} exits 0 when the URL answers 200
 * within 3 seconds, 1 otherwise (with the reason on stderr).
 */
public final class HealthCheck {
  private HealthCheck() {}

  public static void main(String[] args) {
    System.exit(check(args));
  }

  static int check(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: HealthCheck <url>");
      return 2;
    }
    try {
      HttpResponse<Void> response =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(3))
              .build()
              .send(
                  HttpRequest.newBuilder(URI.create(args[0]))
                      .timeout(Duration.ofSeconds(3))
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
      if (response.statusCode() == 200) {
        return 0;
      }
      System.err.println("unhealthy: " + args[0] + " answered " + response.statusCode());
      return 1;
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("unhealthy: " + args[0] + ": " + e);
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }
}
