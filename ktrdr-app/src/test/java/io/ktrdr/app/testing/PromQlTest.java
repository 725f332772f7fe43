package io.ktrdr.app.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlTest {
  private static final String M = "instance!=\"x:1\"";

  @Test
  void addsTheMatcherToEverySelectorAndNothingElse() {
    assertThat(PromQl.addMatcher("up", M)).isEqualTo("up{instance!=\"x:1\"}");
    assertThat(
            PromQl.addMatcher(
                "histogram_quantile(0.95, sum by (le, job) (rate(a_bucket{job=~\"k\"}[5m])))", M))
        .isEqualTo(
            "histogram_quantile(0.95, sum by (le, job) (rate(a_bucket{instance!=\"x:1\", job=~\"k\"}[5m])))");
    assertThat(
            PromQl.addMatcher(
                "a{} * on (job, instance) group_left (id) target_info > 1/60 and b:c:rate1h", M))
        .isEqualTo(
            "a{instance!=\"x:1\"} * on (job, instance) group_left (id) target_info{instance!=\"x:1\"}"
                + " > 1/60 and b:c:rate1h{instance!=\"x:1\"}");
    assertThat(PromQl.addMatcher("label_replace(m, \"dst\", \"$1\", \"src\", \"(.*)\")", M))
        .isEqualTo("label_replace(m{instance!=\"x:1\"}, \"dst\", \"$1\", \"src\", \"(.*)\")");
    assertThat(PromQl.addMatcher("vector(1)", M)).isEqualTo("vector(1)");
  }

  @Test
  void listsTheSelectors() {
    assertThat(
            PromQl.selectors(
                "sum by (job) (rate(a{job=~\"x\"}[5m])) / on (job) b * on (job) group_left (id) c{}"))
        .containsExactly("a{job=~\"x\"}", "b{}", "c{}");
  }
}
