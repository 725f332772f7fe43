package io.ktrdr.telemetry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The typed readers, value by value. */
class EnvConfigTest {

  @Test
  void booleansPortsAndChoices() {
    EnvConfig env =
        EnvConfig.of(
            Map.of(
                "T", "TRUE", "F", "false", "P", "65535", "P0", "0", "LOW", "1", "C", "Json",
                "BLANK", "  "));
    assertThat(env.bool("T")).hasValue(true);
    assertThat(env.bool("F")).hasValue(false);
    assertThat(env.bool("BLANK")).isEmpty();
    assertThat(env.port("P")).hasValue(65535);
    assertThat(env.port("LOW")).hasValue(1);
    assertThat(env.portOrZero("P0")).hasValue(0);
    assertThatThrownBy(() -> env.port("P0")).hasMessage("P0=0: expected a port number 1-65535");
    assertThat(env.integer("P", 65535, 65535, "exactly")).hasValue(65535);
    assertThat(env.oneOf("C", "json", "text")).hasValue("json");
    assertThat(env.oneOf("UNSET", "json")).isEmpty();
    assertThat(EnvConfig.fromSystem().asMap()).isEqualTo(System.getenv());
  }

  @Test
  void durationsHaveAUnitOrCountAsMilliseconds() {
    EnvConfig env =
        EnvConfig.of(
            Map.of(
                "MS",
                "500ms",
                "S",
                "2S",
                "M",
                "1m",
                "H",
                "3h",
                "BARE",
                "250",
                "SPACE",
                "5 s",
                "LONG",
                "999999999999ms"));
    assertThat(env.duration("MS")).hasValue(java.time.Duration.ofMillis(500));
    assertThat(env.duration("S")).hasValue(java.time.Duration.ofSeconds(2));
    assertThat(env.duration("M")).hasValue(java.time.Duration.ofMinutes(1));
    assertThat(env.duration("H")).hasValue(java.time.Duration.ofHours(3));
    assertThat(env.duration("BARE")).hasValue(java.time.Duration.ofMillis(250));
    assertThat(env.duration("SPACE")).hasValue(java.time.Duration.ofSeconds(5));
    assertThat(env.duration("LONG")).hasValue(java.time.Duration.ofMillis(999_999_999_999L));
    assertThat(env.duration("UNSET")).isEmpty();
    for (String bad : List.of("fast", "ms", "-5s", "1.5s", "2d", "0", "0s", "9999999999999s")) {
      assertThatThrownBy(() -> EnvConfig.of(Map.of("D", bad)).duration("D"))
          .hasMessage("D=" + bad + ": expected a positive duration such as 500ms, 2s or 1m");
    }
  }

  @Test
  void hostsAreNamesOrAddressesOnly() {
    for (String host : List.of("localhost", "AZ.az-09", "0.0.0.0", "::1", "my-host.example")) {
      assertThat(EnvConfig.of(Map.of("H", host)).host("H")).hasValue(host);
    }
    for (String host : List.of("a/b", "a@b", "a_b", "a b", "`", "{", "[", "@", "a?")) {
      assertThatThrownBy(() -> EnvConfig.of(Map.of("H", host)).host("H"))
          .as(host)
          .isInstanceOf(ConfigException.class);
    }
  }

  @Test
  void pathLists() {
    EnvConfig env = EnvConfig.of(Map.of("P", "/a, /b*,,", "BAD", "/a,b"));
    assertThat(env.paths("P")).hasValue(List.of("/a", "/b*"));
    assertThat(env.paths("UNSET")).isEmpty();
    assertThatThrownBy(() -> env.paths("BAD"))
        .hasMessage("BAD=/a,b: expected a comma-separated list of paths starting with /");
  }

  @Test
  void secretsFromFilesLoseOneTrailingNewline(@TempDir Path dir) throws Exception {
    Path lf = Files.writeString(dir.resolve("lf"), "s3cret\n");
    Path crlf = Files.writeString(dir.resolve("crlf"), "s3cret\r\n");
    Path bare = Files.writeString(dir.resolve("bare"), "s3cret");
    for (Path file : List.of(lf, crlf, bare)) {
      assertThat(EnvConfig.of(Map.of("K_FILE", file.toString())).secretOrFile("K"))
          .hasValue("s3cret");
    }
    assertThat(EnvConfig.of(Map.of("K", "direct")).secretOrFile("K")).hasValue("direct");
    assertThat(EnvConfig.of(Map.of()).secretOrFile("K")).isEmpty();
  }
}
