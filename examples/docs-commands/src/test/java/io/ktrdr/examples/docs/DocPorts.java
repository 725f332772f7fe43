package io.ktrdr.examples.docs;

import io.ktrdr.telemetry.testing.Ports;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ports the docs name (the reference app's defaults) and the free ones the test uses instead,
 * so that a busy 8000 on the machine does not fail the docs. {@code localhost:8000} and {@code
 * 127.0.0.1:8000} in a block become the API's real port, and so on; the same ports go to {@code
 * scripts/run.sh} through its port variables.
 */
record DocPorts(int api, int backtestWorker, int trainingWorker, int prometheus, int alertmanager) {
  private static final Pattern HOST_PORT =
      Pattern.compile("\\b(localhost|127\\.0\\.0\\.1):(8000|5003|5004|9090|9093)\\b");

  static DocPorts free() {
    return new DocPorts(Ports.free(), Ports.free(), Ports.free(), Ports.free(), Ports.free());
  }

  /** The variables that tell scripts/run.sh which ports to use. */
  Map<String, String> environment() {
    Map<String, String> environment = new LinkedHashMap<>();
    environment.put("KTRDR_API_PORT", Integer.toString(api));
    environment.put("KTRDR_BACKTEST_WORKER_PORT", Integer.toString(backtestWorker));
    environment.put("KTRDR_TRAINING_WORKER_PORT", Integer.toString(trainingWorker));
    environment.put("KTRDR_PROMETHEUS_PORT", Integer.toString(prometheus));
    environment.put("KTRDR_ALERTMANAGER_PORT", Integer.toString(alertmanager));
    return environment;
  }

  /** Which of the ports something listens on now, for a failure message. */
  String describe() {
    return "ports in use: API "
        + state(api)
        + ", backtest worker "
        + state(backtestWorker)
        + ", training worker "
        + state(trainingWorker)
        + ", Prometheus "
        + state(prometheus)
        + ", Alertmanager "
        + state(alertmanager)
        + " (scripts/run.sh gets them as "
        + String.join(", ", environment().keySet())
        + ")";
  }

  private static String state(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return port + " (listening)";
    } catch (IOException e) {
      return port + " (nothing listening)";
    }
  }

  /** {@code text} with every documented host:port replaced by the one in use. */
  String substitute(String text) {
    Matcher matcher = HOST_PORT.matcher(text);
    StringBuilder result = new StringBuilder();
    while (matcher.find()) {
      int port =
          switch (matcher.group(2)) {
            case "8000" -> api;
            case "5003" -> backtestWorker;
            case "5004" -> trainingWorker;
            case "9093" -> alertmanager;
            default -> prometheus;
          };
      matcher.appendReplacement(result, matcher.group(1) + ":" + port);
    }
    matcher.appendTail(result);
    return result.toString();
  }
}
