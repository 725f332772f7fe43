package io.ktrdr.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ktrdr.app.testing.Cluster;
import io.ktrdr.app.testing.PrometheusProcess;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HealthCheckTest {

  @Test
  void exitsZeroOnlyWhenTheUrlAnswers200() throws Exception {
    try (Cluster cluster = new Cluster(Map.of(), Map.of())) {
      assertThat(HealthCheck.check(new String[] {cluster.apiUrl("/api/v1/health")})).isZero();
      assertThat(HealthCheck.check(new String[] {cluster.apiUrl("/api/v1/nope")})).isEqualTo(1);
    }
    assertThat(
            HealthCheck.check(
                new String[] {"http://127.0.0.1:" + PrometheusProcess.freePort() + "/health"}))
        .isEqualTo(1);
    assertThat(HealthCheck.check(new String[] {})).isEqualTo(2);
  }
}
