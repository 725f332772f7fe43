package io.ktrdr.telemetry.testing;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The module's public API is {@code api.txt}: a change is deliberate and shows in review. */
class PublicApiTest {
  @Test
  void matchesTheCommittedListing() throws Exception {
    PublicApi.check(Await.class, Path.of("api.txt"), 14);
  }
}
