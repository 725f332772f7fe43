package io.ktrdr.telemetry;

import io.ktrdr.telemetry.testing.PublicApi;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Every change of the public API is deliberate: it shows in the committed {@code api.txt}. */
class PublicApiTest {

  @Test
  void thePublicApiIsTheCommittedOne() throws Exception {
    // 17, plus the two server filters of io.ktrdr.telemetry.http and their builders.
    PublicApi.check(KtrdrTelemetry.class, Path.of("api.txt"), 21);
  }
}
