// A fleet of simulated KTRDR workers in one JVM, for sizing and sharding Prometheus: COUNT tiny
// HTTP servers on 127.0.0.1, each serving a real worker's /metrics body (and /health), each
// registered with the API like a worker, so Prometheus finds them through the API's http_sd
// endpoint. JDK only; run as a single-file program:
//   KTRDR_CLUSTER_SECRET=... java benchmarks/prometheus-sizing/SimulatedWorkers.java \
//       BODY_FILE COUNT API_URL [ID_PREFIX]
// Prints "ready COUNT" once every worker is registered, then serves until its standard input
// closes (or it is stopped). Used by benchmarks/prometheus-sizing.sh and ShardedScrapeIT.
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

public final class SimulatedWorkers {
  private SimulatedWorkers() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: SimulatedWorkers BODY_FILE COUNT API_URL [ID_PREFIX]");
      System.exit(2);
    }
    byte[] body = Files.readAllBytes(Path.of(args[0]));
    int count = Integer.parseInt(args[1]);
    if (count < 1 || count > 5000) {
      System.err.println("SimulatedWorkers: COUNT " + count + ": expected 1-5000");
      System.exit(2);
    }
    String api = args[2];
    String prefix = args.length > 3 ? args[3] : "sim";
    String secret = System.getenv("KTRDR_CLUSTER_SECRET");
    if (secret == null || secret.isBlank()) {
      System.err.println("SimulatedWorkers: KTRDR_CLUSTER_SECRET is not set");
      System.exit(2);
    }
    // A few threads serve every server: a scrape is a copy of a byte array.
    ExecutorService executor =
        Executors.newFixedThreadPool(
            4,
            task -> {
              Thread thread = new Thread(task, "simulated-worker");
              thread.setDaemon(true);
              return thread;
            });
    byte[] health = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
    List<HttpServer> servers = new ArrayList<>();
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    for (int i = 0; i < count; i++) {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
      server.createContext(
          "/",
          exchange -> {
            try (exchange) {
              boolean metrics = exchange.getRequestURI().getPath().equals("/metrics");
              byte[] answer = metrics ? body : health;
              exchange
                  .getResponseHeaders()
                  .add(
                      "Content-Type",
                      metrics ? "text/plain; version=0.0.4; charset=utf-8" : "application/json");
              exchange.sendResponseHeaders(200, answer.length);
              exchange.getResponseBody().write(answer);
            }
          });
      server.setExecutor(executor);
      server.start();
      servers.add(server);
      String id = prefix + "-" + i;
      String registration =
          "{\"worker_id\":\""
              + id
              + "\",\"worker_type\":\"backtesting\",\"instance_id\":\""
              + UUID.randomUUID()
              + "\",\"url\":\"http://127.0.0.1:"
              + server.getAddress().getPort()
              + "\"}";
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(URI.create(api + "/api/v1/workers/register"))
                  .timeout(Duration.ofSeconds(10))
                  .header("Authorization", "Bearer " + secret)
                  .header("X-Ktrdr-Worker-Id", id)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(registration))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        System.err.println(
            "SimulatedWorkers: registering " + id + ": " + response.statusCode() + " " + response.body());
        System.exit(1);
      }
    }
    System.out.println("ready " + count);
    System.out.flush();
    try {
      while (System.in.read() != -1) {
        // serve until standard input closes
      }
    } catch (IOException closed) {
      // the same
    }
    servers.forEach(s -> s.stop(0));
  }
}
