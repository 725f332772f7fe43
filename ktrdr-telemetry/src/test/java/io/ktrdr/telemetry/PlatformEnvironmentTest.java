package io.ktrdr.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.ktrdr.telemetry.config.ConfigException;
import io.ktrdr.telemetry.testing.LogCapture;
import io.ktrdr.telemetry.testing.OtlpReceiver;
import io.ktrdr.telemetry.testing.Scrape;
import io.opentelemetry.api.trace.Span;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What platforms put in the environment: the OpenTelemetry Operator for Kubernetes injects, into
 * every container it instruments, the pod and node names and IPs as separate {@code OTEL_*}
 * variables (from the downward API) and composes {@code OTEL_RESOURCE_ATTRIBUTES} from them (the
 * kubelet expands the {@code $(OTEL_RESOURCE_ATTRIBUTES_POD_NAME)} references before the process
 * starts, so the process sees the values).
 */
class PlatformEnvironmentTest {

  /** The environment of a container the Operator instrumented with {@code inject-sdk}. */
  static Map<String, String> operatorEnvironment() {
    Map<String, String> env = new HashMap<>();
    env.put("OTEL_NODE_IP", "10.0.0.7");
    env.put("OTEL_POD_IP", "10.1.2.3");
    env.put("OTEL_RESOURCE_ATTRIBUTES_POD_NAME", "ktrdr-api-7d9f-abcde");
    env.put("OTEL_RESOURCE_ATTRIBUTES_NODE_NAME", "node-1");
    env.put("OTEL_RESOURCE_ATTRIBUTES_POD_UID", "0b7c5e1a-1111-2222-3333-444455556666");
    env.put("OTEL_SERVICE_NAME", "ktrdr-api");
    env.put("OTEL_PROPAGATORS", "tracecontext,baggage");
    env.put("OTEL_TRACES_SAMPLER", "parentbased_always_on");
    env.put(
        "OTEL_RESOURCE_ATTRIBUTES",
        "k8s.container.name=api,k8s.deployment.name=ktrdr-api,k8s.namespace.name=trading,"
            + "k8s.node.name=node-1,k8s.pod.name=ktrdr-api-7d9f-abcde,"
            + "k8s.replicaset.name=ktrdr-api-7d9f,service.instance.id=trading.ktrdr-api-7d9f-abcde.api");
    // Agent keys the Operator sets for the Java agent, which this library does not read.
    env.put("OTEL_JAVAAGENT_ENABLED", "true");
    env.put("OTEL_INSTRUMENTATION_JDBC_ENABLED", "false");
    return env;
  }

  private static Map<String, String> targetInfo(KtrdrTelemetry telemetry) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, telemetry.prometheusRegistry().scrape());
    List<Scrape.Sample> samples =
        Scrape.parse(out.toString(StandardCharsets.UTF_8)).samples("target_info");
    assertThat(samples).hasSize(1);
    return samples.get(0).labels();
  }

  @Test
  void operatorKeysStartTheServiceWithOneWarningNamingTheIgnoredKeys() throws Exception {
    try (LogCapture log = LogCapture.of(EnvironmentLayer.class);
        OtlpReceiver receiver = OtlpReceiver.start()) {
      Map<String, String> env = operatorEnvironment();
      env.put("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint());
      env.put("OTEL_BSP_SCHEDULE_DELAY", "10");
      try (KtrdrTelemetry telemetry =
          KtrdrTelemetry.builder().environment(env).shutdownHook(false).build()) {
        assertThat(log.messages(Level.WARN))
            .containsExactly(
                "OTEL_* variables not read by ktrdr-telemetry, ignored: OTEL_INSTRUMENTATION_JDBC_ENABLED,"
                    + " OTEL_JAVAAGENT_ENABLED, OTEL_NODE_IP, OTEL_POD_IP,"
                    + " OTEL_RESOURCE_ATTRIBUTES_NODE_NAME, OTEL_RESOURCE_ATTRIBUTES_POD_NAME,"
                    + " OTEL_RESOURCE_ATTRIBUTES_POD_UID (docs/configuration.md lists the ones it"
                    + " reads; OpenTelemetry Java agent and instrumentation settings do not"
                    + " apply)");

        // target_info: the Kubernetes attributes the Operator composed.
        assertThat(targetInfo(telemetry))
            .containsEntry("service_name", "ktrdr-api")
            .containsEntry("k8s_pod_name", "ktrdr-api-7d9f-abcde")
            .containsEntry("k8s_node_name", "node-1")
            .containsEntry("k8s_namespace_name", "trading")
            .containsEntry("k8s_deployment_name", "ktrdr-api")
            .containsEntry("k8s_container_name", "api")
            .containsEntry("service_instance_id", "trading.ktrdr-api-7d9f-abcde.api");

        // Span resources: the same attributes on an exported span.
        Span span = telemetry.openTelemetry().getTracer("test").spanBuilder("probe").startSpan();
        span.end();
        Map<String, String> resource = receiver.awaitSpan("probe").resource();
        assertThat(resource)
            .containsEntry("service.name", "ktrdr-api")
            .containsEntry("k8s.pod.name", "ktrdr-api-7d9f-abcde")
            .containsEntry("k8s.node.name", "node-1")
            .containsEntry("k8s.namespace.name", "trading")
            .containsEntry("service.instance.id", "trading.ktrdr-api-7d9f-abcde.api")
            .doesNotContainKeys(
                "OTEL_RESOURCE_ATTRIBUTES_POD_NAME", "otel.resource.attributes.pod.name");
      }
    }
  }

  @Test
  void aBadValueOfAKeyWeReadStillFailsStartUpEvenAmongUnknownKeys() {
    Map<String, String> env = operatorEnvironment();
    env.put("KTRDR_METRICS_PORT", "abc");
    assertThatThrownBy(() -> KtrdrTelemetry.builder().environment(env).shutdownHook(false).build())
        .isInstanceOf(ConfigException.class)
        .hasMessage("KTRDR_METRICS_PORT=abc: expected a port number 0-65535");
  }
}
