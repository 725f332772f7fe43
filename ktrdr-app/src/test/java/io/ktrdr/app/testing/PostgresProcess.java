package io.ktrdr.app.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for end-to-end tests: {@code initdb} into a temporary directory, then
 * {@code postgres} on a free loopback port with a password (scram-sha-256). PostgreSQL refuses to
 * run as root, so as root the server runs as the {@code postgres} user the Debian package creates.
 * Fails (never skips) with the install command when the binaries are missing.
 */
public final class PostgresProcess implements AutoCloseable {
  /** The command that installs what this class needs. */
  static final String INSTALL =
      "PostgreSQL is not installed: run 'scripts/install-test-deps.sh'"
          + " (apt-get install -y postgresql)";

  public static final String USER = "ktrdr";
  public static final String PASSWORD = "pg-test-password-5f1d";

  private final List<String> command;
  private final Path directory;
  private final int port;
  private final Path log;
  private volatile Process process;

  private PostgresProcess(List<String> command, Path directory, int port, Path log)
      throws IOException {
    this.command = command;
    this.directory = directory;
    this.port = port;
    this.log = log;
    this.process = launch();
  }

  private Process launch() throws IOException {
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  /** The directory holding {@code initdb} and {@code postgres}. */
  static Path binaries() {
    List<Path> candidates = new ArrayList<>();
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      candidates.add(Path.of(dir));
    }
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      versions
          .sorted(Comparator.reverseOrder())
          .forEach(version -> candidates.add(version.resolve("bin")));
    } catch (IOException e) {
      // not installed from Debian's packages
    }
    Optional<Path> found =
        candidates.stream()
            .filter(dir -> Files.isExecutable(dir.resolve("initdb")))
            .filter(dir -> Files.isExecutable(dir.resolve("postgres")))
            .findFirst();
    return found
        .map(
            dir -> {
              try {
                return dir.resolve("initdb").toRealPath().getParent();
              } catch (IOException e) {
                return dir;
              }
            })
        .orElseThrow(() -> new AssertionError(INSTALL));
  }

  /** Creates a fresh cluster and starts it; waits until it accepts connections. */
  public static PostgresProcess start() {
    Path bin = binaries();
    try {
      boolean root = "root".equals(System.getProperty("user.name"));
      Path directory = Files.createTempDirectory("ktrdr-pg-");
      Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path data = directory.resolve("data");
      Path sockets = directory.resolve("sockets");
      Files.createDirectories(sockets);
      Path passwordFile = directory.resolve("password");
      Files.writeString(passwordFile, PASSWORD + "\n");
      if (root) {
        run(List.of("chown", "-R", "postgres:postgres", directory.toString()));
      }
      Path log = directory.resolve("postgres.log");
      run(
          asServerUser(
              root,
              List.of(
                  bin.resolve("initdb").toString(),
                  "-D",
                  data.toString(),
                  "-U",
                  USER,
                  "--pwfile=" + passwordFile,
                  "--auth=scram-sha-256",
                  "--encoding=UTF8",
                  "--no-sync")));
      int port = PrometheusProcess.freePort();
      List<String> command =
          asServerUser(
              root,
              List.of(
                  bin.resolve("postgres").toString(),
                  "-D",
                  data.toString(),
                  "-p",
                  Integer.toString(port),
                  "-k",
                  sockets.toString(),
                  "-c",
                  "listen_addresses=127.0.0.1",
                  "-c",
                  "fsync=off"));
      PostgresProcess server = new PostgresProcess(command, directory, port, log);
      server.awaitAccepting(Duration.ofSeconds(30));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> asServerUser(boolean root, List<String> command) {
    if (!root) {
      return command;
    }
    List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
    wrapped.addAll(command);
    return wrapped;
  }

  private static void run(List<String> command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new AssertionError("'" + String.join(" ", command) + "' failed:\n" + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private void awaitAccepting(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline && process.isAlive()) {
      try (Connection ignored = connect()) {
        return;
      } catch (SQLException e) {
        last = e;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("PostgreSQL did not accept connections: " + last + "\n" + log());
  }

  /**
   * Stops the server as an operator or a crash of the host would for clients: a fast shutdown
   * (SIGINT to the postmaster: open connections are cut), waiting until it has exited.
   */
  public void stop() {
    try {
      String pid = Files.readAllLines(directory.resolve("data/postmaster.pid")).get(0).strip();
      run(List.of("kill", "-INT", pid));
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError("PostgreSQL did not stop:\n" + log());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Starts the stopped server again on the same port and data; waits until it accepts. */
  public void restart() {
    try {
      process = launch();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    awaitAccepting(Duration.ofSeconds(30));
  }

  /** The JDBC URL of the {@code postgres} database, without credentials. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), USER, PASSWORD);
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    // SIGTERM: "smart" shutdown would wait for clients; the test's clients are gone.
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort
    }
  }
}
