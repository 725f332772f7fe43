package io.ktrdr.telemetry.internal.scrape;

import io.ktrdr.telemetry.internal.errors.TelemetryErrors;
import io.prometheus.metrics.exporter.common.PrometheusHttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import io.prometheus.metrics.exporter.common.PrometheusHttpResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone {@code /metrics} endpoint on its own port ({@code KTRDR_METRICS_PORT}), for
 * processes without an HTTP server of their own (batch jobs, CLI runs, queue consumers).
 *
 * <p>A small, strict HTTP/1.1 server, so that no client can silence it and nothing global has to
 * change (the JDK's {@code HttpServer} has its limits only as JVM-wide system properties). One
 * selector thread reads request heads without blocking, each against an absolute deadline ({@link
 * Limits#headerTimeout}: a client trickling one header line at a time is cut off all the same), and
 * writes responses the same way against a write deadline; kept-alive connections close after {@link
 * Limits#idleTimeout}. Complete requests go to a few worker threads that run {@link
 * MetricsHandler}, whose budget counts from the moment the request was complete. Only {@code GET}
 * and {@code HEAD} without a body are read; a head over {@link Limits#maxHeaderBytes} is {@code
 * 431}. A response is read at {@link Limits#minWriteBytesPerSecond} or closed, and all responses
 * waiting for their clients hold at most {@link Limits#maxBufferedBytes} (above it, {@code 503}).
 * At {@link Limits#maxConnections}, a new connection closes one that is stalled (sending its head,
 * or not reading its response, for over {@link Limits#evictionGrace}) or idle after an unsuccessful
 * answer, from the address holding the most connections; an idle connection answered {@code 2xx} is
 * never closed for it, and an address at {@link Limits#maxConnectionsPerAddress} may only push out
 * its own. Else the new connection is closed: a flood of slow connections pushes out its own, not
 * the scraper's. A final answer (an error, {@code Connection: close}) is followed by a short
 * lingering close, so that unread input does not reset the connection before the client has read
 * it. Refusals are counted in {@code ktrdr_telemetry_scrapes_rejected_total{reason}}; a failure
 * that is not the client's (even an {@code Error}) is answered {@code 500}, closes only its
 * connection and is counted in {@code ktrdr_telemetry_errors_total}. Every thread is a daemon;
 * {@link #close()} lets scrapes in progress and responses being written finish (at most one second
 * together) and releases everything.
 */
public final class MetricsServer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(MetricsServer.class);
  private static final byte[] NOT_FOUND =
      "Not Found: metrics are served at /metrics\n".getBytes(StandardCharsets.UTF_8);
  private static final Duration SCRAPE_GRACE = Duration.ofSeconds(1);

  /** After a final answer, input is read and dropped this long so that the answer is not reset. */
  private static final Duration LINGER = Duration.ofSeconds(2);

  private static final int LINGER_MAX_BYTES = 64 * 1024;
  private static final long ACCEPT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final int BACKLOG = 256;
  private static final int FIRST_BUFFER = 1024;

  private static final ByteBuffer REQUEST_TIMEOUT =
      plain(408, "Request Timeout", "Request head not received in time\n");
  private static final ByteBuffer HEADER_TOO_LARGE =
      plain(431, "Request Header Fields Too Large", "Request head too large\n");
  private static final ByteBuffer SERVICE_UNAVAILABLE =
      plain(503, "Service Unavailable", "The metrics server is stopping\n");
  private static final ByteBuffer BUFFERS_FULL =
      plain(
          503,
          "Service Unavailable",
          "Retry-After: 1\r\n",
          "Too many responses are waiting for slow clients; retry later\n");
  private static final ByteBuffer HANDLING_TIMEOUT =
      plain(
          503,
          "Service Unavailable",
          "Retry-After: 1\r\n",
          "Answering took longer than the scrape's budget; retry later\n");
  private static final ByteBuffer INTERNAL_ERROR =
      plain(500, "Internal Server Error", "Collecting metrics failed\n");

  /** A request being answered is cut off this long after the scrape's budget (a stuck worker). */
  private static final Duration HANDLING_MARGIN = Duration.ofSeconds(5);

  private static final long PROGRESS_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  private static final long SECOND_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** The limits of the server; every default is in {@code docs/metrics.md}. */
  public record Limits(
      int workers,
      int maxConnections,
      int maxConnectionsPerAddress,
      Duration headerTimeout,
      Duration idleTimeout,
      Duration writeTimeout,
      int minWriteBytesPerSecond,
      long maxBufferedBytes,
      int maxHeaderBytes,
      Duration evictionGrace) {
    static final int DEFAULT_WORKERS = 2;
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;

    /** At the connection limit, an address holding this many cannot push out anyone else's. */
    static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 32;

    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
    static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(30);

    /**
     * A response read slower than this over any second (after the first one, which the socket
     * buffers take) is cut off: a stalled reader.
     */
    static final int DEFAULT_MIN_WRITE_BYTES_PER_SECOND = 16 * 1024;

    /** Encoded responses held for all clients together; above it a scrape is answered 503. */
    static final long DEFAULT_MAX_BUFFERED_BYTES = 64L * 1024 * 1024;

    static final int DEFAULT_MAX_HEADER_BYTES = 8192;

    /** A head younger than this is not closed to make room: it is most likely a scraper's. */
    static final Duration DEFAULT_EVICTION_GRACE = Duration.ofSeconds(1);

    public static Limits defaults() {
      return new Limits(
          DEFAULT_WORKERS,
          DEFAULT_MAX_CONNECTIONS,
          DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
          DEFAULT_HEADER_TIMEOUT,
          DEFAULT_IDLE_TIMEOUT,
          DEFAULT_WRITE_TIMEOUT,
          DEFAULT_MIN_WRITE_BYTES_PER_SECOND,
          DEFAULT_MAX_BUFFERED_BYTES,
          DEFAULT_MAX_HEADER_BYTES,
          DEFAULT_EVICTION_GRACE);
    }

    Limits withWorkers(int count) {
      return new Limits(
          count,
          maxConnections,
          maxConnectionsPerAddress,
          headerTimeout,
          idleTimeout,
          writeTimeout,
          minWriteBytesPerSecond,
          maxBufferedBytes,
          maxHeaderBytes,
          evictionGrace);
    }

    public Limits withMaxConnections(int count) {
      return new Limits(
          workers,
          count,
          maxConnectionsPerAddress,
          headerTimeout,
          idleTimeout,
          writeTimeout,
          minWriteBytesPerSecond,
          maxBufferedBytes,
          maxHeaderBytes,
          evictionGrace);
    }

    Limits withMaxConnectionsPerAddress(int count) {
      return new Limits(
          workers,
          maxConnections,
          count,
          headerTimeout,
          idleTimeout,
          writeTimeout,
          minWriteBytesPerSecond,
          maxBufferedBytes,
          maxHeaderBytes,
          evictionGrace);
    }

    public Limits withHeaderTimeout(Duration timeout) {
      return new Limits(
          workers,
          maxConnections,
          maxConnectionsPerAddress,
          timeout,
          idleTimeout,
          writeTimeout,
          minWriteBytesPerSecond,
          maxBufferedBytes,
          maxHeaderBytes,
          evictionGrace);
    }

    Limits withIdleTimeout(Duration timeout) {
      return new Limits(
          workers,
          maxConnections,
          maxConnectionsPerAddress,
          headerTimeout,
          timeout,
          writeTimeout,
          minWriteBytesPerSecond,
          maxBufferedBytes,
          maxHeaderBytes,
          evictionGrace);
    }

    Limits withMinWriteBytesPerSecond(int rate) {
      return new Limits(
          workers,
          maxConnections,
          maxConnectionsPerAddress,
          headerTimeout,
          idleTimeout,
          writeTimeout,
          rate,
          maxBufferedBytes,
          maxHeaderBytes,
          evictionGrace);
    }

    Limits withMaxBufferedBytes(long bytes) {
      return new Limits(
          workers,
          maxConnections,
          maxConnectionsPerAddress,
          headerTimeout,
          idleTimeout,
          writeTimeout,
          minWriteBytesPerSecond,
          bytes,
          maxHeaderBytes,
          evictionGrace);
    }

    Limits withEvictionGrace(Duration grace) {
      return new Limits(
          workers,
          maxConnections,
          maxConnectionsPerAddress,
          headerTimeout,
          idleTimeout,
          writeTimeout,
          minWriteBytesPerSecond,
          maxBufferedBytes,
          maxHeaderBytes,
          grace);
    }
  }

  private enum State {
    READING,
    HANDLING,
    WRITING,
    IDLE,
    DRAINING,
    CLOSED
  }

  private final Endpoint.Handler handler;
  private final ScrapeRejections rejections;
  private final TelemetryErrors errors;
  private final long handlingTimeoutNanos;

  /** Bytes of responses built and not yet written, for every connection together. */
  private final AtomicLong bufferedBytes = new AtomicLong();

  private final Limits limits;
  private final ServerSocketChannel serverChannel;
  private final Selector selector;
  private final InetSocketAddress address;
  private final ThreadPoolExecutor workers;
  private final Thread selectorThread;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean stopping;
  private volatile long stopBy;
  private volatile int openConnections;

  // Selector thread only. Each set is in the order its members entered their state, which is the
  // order of their deadlines (one timeout per state): the first member expires first.
  private final LinkedHashSet<Connection> reading = new LinkedHashSet<>();
  private final LinkedHashSet<Connection> idle = new LinkedHashSet<>();
  private final LinkedHashSet<Connection> writing = new LinkedHashSet<>();
  private final LinkedHashSet<Connection> handling = new LinkedHashSet<>();
  private final Map<InetAddress, int[]> perAddress = new HashMap<>();
  private long nextProgressCheck;
  private final LinkedHashSet<Connection> draining = new LinkedHashSet<>();
  private final ByteBuffer drained = ByteBuffer.allocate(4096);
  private final List<Connection> all = new ArrayList<>();
  private @Nullable SelectionKey acceptKey;
  private long acceptPausedUntil;
  private boolean acceptPaused;

  private MetricsServer(
      Endpoint endpoint,
      Limits limits,
      ServerSocketChannel serverChannel,
      Selector selector,
      InetSocketAddress address) {
    this.handler = endpoint.handler();
    this.rejections = endpoint.rejections();
    this.errors = endpoint.errors();
    this.handlingTimeoutNanos = endpoint.budget().plus(HANDLING_MARGIN).toNanos();
    this.limits = limits;
    this.serverChannel = serverChannel;
    this.selector = selector;
    this.address = address;
    AtomicInteger number = new AtomicInteger();
    // Unbounded queue, bounded all the same: a connection has at most one request in it.
    this.workers =
        new ThreadPoolExecutor(
            limits.workers(),
            limits.workers(),
            0,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            runnable -> {
              Thread thread =
                  new Thread(runnable, "ktrdr-metrics-server-" + number.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    this.selectorThread = new Thread(this::loop, "ktrdr-metrics-server-selector");
    selectorThread.setDaemon(true);
  }

  /** With the default limits and {@code threads} workers (the signature of the JDK server's). */
  public static MetricsServer start(Endpoint endpoint, String host, int port, int threads) {
    return start(endpoint, host, port, Limits.defaults().withWorkers(threads));
  }

  /**
   * Binds {@code host:port} (0 picks a free port) and serves {@code handler} within {@code limits}.
   *
   * @throws UncheckedIOException naming the address when it cannot bind (port in use, unknown host)
   */
  public static MetricsServer start(Endpoint endpoint, String host, int port, Limits limits) {
    ServerSocketChannel channel = null;
    Selector selector = null;
    try {
      channel = ServerSocketChannel.open();
      channel.bind(new InetSocketAddress(host, port), BACKLOG);
      channel.configureBlocking(false);
      selector = Selector.open();
      InetSocketAddress bound = (InetSocketAddress) channel.getLocalAddress();
      MetricsServer server = new MetricsServer(endpoint, limits, channel, selector, bound);
      server.acceptKey = channel.register(selector, SelectionKey.OP_ACCEPT);
      server.selectorThread.start();
      logger.info("Serving metrics at http://{}:{}/metrics", server.host(), server.port());
      return server;
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      closeQuietly(selector);
      throw new UncheckedIOException(
          new IOException(
              "Cannot start the metrics server on " + host + ":" + port + ": " + e.getMessage(),
              e));
    }
  }

  public int port() {
    return address.getPort();
  }

  public String host() {
    return address.getHostString();
  }

  /** Connections open now (for tests). */
  int openConnections() {
    return openConnections;
  }

  /** Bytes of responses waiting for their clients now (for tests). */
  long bufferedBytes() {
    return bufferedBytes.get();
  }

  /**
   * Stops accepting connections, lets scrapes in progress finish (at most one second), and stops.
   * Returns at once when no scrape is in progress.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long deadline = System.nanoTime() + SCRAPE_GRACE.toNanos();
    post(this::stopAccepting);
    workers.shutdown();
    try {
      workers.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Responses being written may finish within the same grace.
    stopBy = deadline;
    stopping = true;
    selector.wakeup();
    try {
      selectorThread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    workers.shutdownNow();
  }

  private void post(Runnable task) {
    tasks.add(task);
    selector.wakeup();
  }

  private boolean running() {
    return !stopping || (!writing.isEmpty() && System.nanoTime() - stopBy < 0);
  }

  private void loop() {
    try {
      while (running()) {
        try {
          step();
        } catch (IOException | ClosedSelectorException e) {
          throw e;
        } catch (Throwable e) { // NOPMD: no failure may stop the server for good
          errors.record(TelemetryErrors.METRICS_SCRAPE, e);
        }
      }
    } catch (IOException | RuntimeException e) {
      logger.warn("The metrics server stopped on an unexpected failure", e);
    } finally {
      runTasks();
      for (Connection connection : new ArrayList<>(all)) {
        connection.close();
      }
      closeQuietly(serverChannel);
      closeQuietly(selector);
    }
  }

  /** One select and what it found; a failure closes only the connection it came from. */
  private void step() throws IOException {
    long wait = expire(System.nanoTime());
    if (stopping) {
      wait = Math.max(1, Math.min(wait == 0 ? Long.MAX_VALUE : wait, remainingMillis(stopBy)));
    }
    selector.select(wait);
    runTasks();
    long now = System.nanoTime();
    Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
    while (keys.hasNext()) {
      SelectionKey key = keys.next();
      keys.remove();
      try {
        handle(key, now);
      } catch (Throwable e) { // NOPMD: an Error for one connection must not stop the others
        if (key.attachment() instanceof Connection connection) {
          connection.abort(e);
        } else {
          errors.record(TelemetryErrors.METRICS_SCRAPE, e);
        }
      }
    }
  }

  private static long remainingMillis(long deadline) {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1);
  }

  private void handle(SelectionKey key, long now) {
    if (!key.isValid()) {
      return;
    }
    if (key.isAcceptable()) {
      accept(now);
    } else if (key.attachment() instanceof Connection connection) {
      if (key.isReadable()) {
        connection.onReadable(now);
      } else if (key.isWritable()) {
        connection.write(now);
      }
    }
  }

  private void runTasks() {
    Runnable task;
    while ((task = tasks.poll()) != null) {
      try {
        task.run();
      } catch (Throwable e) { // NOPMD: a failed task must not stop the server
        errors.record(TelemetryErrors.METRICS_SCRAPE, e);
      }
    }
  }

  private void stopAccepting() {
    closeQuietly(serverChannel);
    for (Connection connection : new ArrayList<>(reading)) {
      connection.close();
    }
    for (Connection connection : new ArrayList<>(idle)) {
      connection.close();
    }
    for (Connection connection : new ArrayList<>(draining)) {
      connection.close();
    }
  }

  /** Closes what is past its deadline; returns the milliseconds to the next one (0: none). */
  private long expire(long now) {
    if (acceptPaused && now - acceptPausedUntil >= 0 && acceptKey != null && acceptKey.isValid()) {
      acceptKey.interestOps(SelectionKey.OP_ACCEPT);
      acceptPaused = false;
    }
    long next = Long.MAX_VALUE;
    next = Math.min(next, expire(reading, limits.headerTimeout(), now));
    next = Math.min(next, expire(idle, limits.idleTimeout(), now));
    next = Math.min(next, expire(writing, limits.writeTimeout(), now));
    next = Math.min(next, expire(handling, handlingTimeoutNanos, now));
    next = Math.min(next, checkProgress(now));
    next = Math.min(next, expire(draining, LINGER, now));
    if (acceptPaused) {
      next = Math.min(next, acceptPausedUntil - now);
    }
    if (next == Long.MAX_VALUE) {
      return 0;
    }
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(next) + 1);
  }

  private long expire(LinkedHashSet<Connection> members, Duration timeout, long now) {
    return expire(members, timeout.toNanos(), now);
  }

  private long expire(LinkedHashSet<Connection> members, long timeoutNanos, long now) {
    while (!members.isEmpty()) {
      Connection first = members.iterator().next();
      long left = first.since + timeoutNanos - now;
      if (left > 0) {
        return left;
      }
      try {
        first.expired();
      } catch (Throwable e) { // NOPMD: closing one connection must not stop the server
        first.abort(e);
      }
      members.remove(first); // progress whatever happened
    }
    return Long.MAX_VALUE;
  }

  /**
   * Closes responses read slower than the minimum rate after their first second (a client that asks
   * and never reads would otherwise hold its connection and its response until the write deadline);
   * returns the nanoseconds to the next check.
   */
  private long checkProgress(long now) {
    int rate = limits.minWriteBytesPerSecond();
    if (writing.isEmpty() || rate <= 0) {
      return Long.MAX_VALUE;
    }
    if (now - nextProgressCheck < 0) {
      return nextProgressCheck - now;
    }
    nextProgressCheck = now + PROGRESS_CHECK_NANOS;
    for (Connection connection : new ArrayList<>(writing)) {
      // Measured over each second: the socket buffers take the first megabytes at once.
      long elapsed = now - connection.windowStart;
      if (elapsed < SECOND_NANOS) {
        continue;
      }
      long progress = connection.written - connection.windowWritten;
      if (progress < rate * (elapsed / 1e9)) {
        rejections.record(
            ScrapeRejections.Reason.WRITE_TIMEOUT,
            () -> "a client read " + progress + " bytes in " + elapsed / 1_000_000 + " ms");
        connection.close();
      } else {
        connection.windowStart = now;
        connection.windowWritten = connection.written;
      }
    }
    return PROGRESS_CHECK_NANOS;
  }

  private void accept(long now) {
    while (true) {
      SocketChannel channel;
      try {
        channel = serverChannel.accept();
      } catch (IOException e) {
        // Out of file descriptors, most likely: stop asking for a moment instead of spinning.
        logger.debug("Accepting a metrics connection failed", e);
        if (acceptKey != null && acceptKey.isValid()) {
          acceptKey.interestOps(0);
          acceptPaused = true;
          acceptPausedUntil = now + ACCEPT_PAUSE_NANOS;
        }
        return;
      }
      if (channel == null) {
        return;
      }
      try {
        InetAddress remote = ((InetSocketAddress) channel.getRemoteAddress()).getAddress();
        if (all.size() >= limits.maxConnections() && !makeRoom(now, remote)) {
          rejections.record(ScrapeRejections.Reason.CONNECTION_LIMIT);
          closeQuietly(channel);
          continue;
        }
        channel.configureBlocking(false);
        Connection connection = new Connection(channel, remote);
        connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
        all.add(connection);
        perAddress.computeIfAbsent(remote, a -> new int[1])[0]++;
        openConnections = all.size();
        connection.enter(State.READING, now);
      } catch (Throwable e) { // NOPMD: an accept that fails must release its socket
        closeQuietly(channel);
        if (!(e instanceof IOException)) {
          errors.record(TelemetryErrors.METRICS_SCRAPE, e);
        }
      }
    }
  }

  private int connectionsFrom(InetAddress remote) {
    int[] count = perAddress.get(remote);
    return count == null ? 0 : count[0];
  }

  /**
   * Closes one connection to make room for a new one from {@code remote}: one only being drained,
   * else a head older than the grace, a response stalled longer than the grace, or an idle
   * connection that has not had a successful answer, from the address holding the most connections,
   * oldest first. An idle connection that was answered successfully (the scraper's kept-alive one)
   * is never closed for a connection that has sent nothing. An address holding {@link
   * Limits#maxConnectionsPerAddress} may only push out its own. False when none is found.
   */
  private boolean makeRoom(long now, InetAddress remote) {
    boolean ownOnly = connectionsFrom(remote) >= limits.maxConnectionsPerAddress();
    long grace = limits.evictionGrace().toNanos();
    Connection victim = null;
    int victimRank = Integer.MAX_VALUE;
    int victimCount = 0;
    for (Connection candidate : all) {
      if (ownOnly && !candidate.remote.equals(remote)) {
        continue;
      }
      int rank = candidate.evictionRank(now, grace);
      if (rank < 0) {
        continue;
      }
      int count = connectionsFrom(candidate.remote);
      if (victim == null
          || rank < victimRank
          || (rank == victimRank
              && (count > victimCount
                  || (count == victimCount
                      && candidate.stalledSince() - victim.stalledSince() < 0)))) {
        victim = candidate;
        victimRank = rank;
        victimCount = count;
      }
    }
    if (victim == null) {
      return false;
    }
    rejections.record(ScrapeRejections.Reason.CONNECTION_LIMIT);
    victim.close();
    return true;
  }

  /** One client connection; all its fields belong to the selector thread. */
  private final class Connection {
    final SocketChannel channel;
    final InetAddress remote;
    @Nullable SelectionKey key;
    State state = State.READING;
    long since;
    ByteBuffer in = ByteBuffer.allocate(FIRST_BUFFER);
    int scanned;
    ByteBuffer @Nullable [] out;
    long outReserved;
    boolean closeAfterWrite;
    boolean answering200;
    boolean succeeded;
    long written;
    long lastProgress;
    long windowStart;
    long windowWritten;
    int drainedBytes;

    Connection(SocketChannel channel, InetAddress remote) {
      this.channel = channel;
      this.remote = remote;
    }

    /**
     * How readily this connection is closed to make room (lower first), or -1 when it is not: see
     * {@link #makeRoom}.
     */
    int evictionRank(long now, long grace) {
      return switch (state) {
        case DRAINING -> 0;
        case READING -> now - since > grace ? 1 : -1;
        case WRITING -> now - lastProgress > grace ? 1 : -1;
        case IDLE -> succeeded ? -1 : 1;
        case HANDLING, CLOSED -> -1;
      };
    }

    /** Since when this connection has made no progress (its head, or its response). */
    long stalledSince() {
      return state == State.WRITING ? lastProgress : since;
    }

    /** A failure that is not the client's: logged (rate-limited), and this connection closed. */
    void abort(Throwable failure) {
      errors.record(TelemetryErrors.METRICS_SCRAPE, failure);
      try {
        close();
      } catch (Throwable e) { // NOPMD: the connection is gone either way
        closeQuietly(channel);
      }
    }

    void enter(State next, long now) {
      LinkedHashSet<Connection> before = set(state);
      if (before != null) {
        before.remove(this);
      }
      state = next;
      since = now;
      LinkedHashSet<Connection> members = set(next);
      if (members != null) {
        members.add(this);
      }
    }

    private @Nullable LinkedHashSet<Connection> set(State of) {
      return switch (of) {
        case READING -> reading;
        case IDLE -> idle;
        case WRITING -> writing;
        case DRAINING -> draining;
        case HANDLING -> handling;
        case CLOSED -> null;
      };
    }

    void expired() {
      switch (state) {
        case READING -> {
          rejections.record(ScrapeRejections.Reason.HEADER_TIMEOUT);
          sendAndClose(REQUEST_TIMEOUT);
        }
        case WRITING -> {
          rejections.record(ScrapeRejections.Reason.WRITE_TIMEOUT);
          close();
        }
        case HANDLING -> {
          rejections.record(ScrapeRejections.Reason.TIMEOUT);
          sendAndClose(HANDLING_TIMEOUT);
        }
        default -> close();
      }
    }

    void onReadable(long now) {
      if (state == State.DRAINING) {
        drain();
        return;
      }
      if (state == State.IDLE) {
        enter(State.READING, now);
      }
      if (state != State.READING) {
        return;
      }
      if (!in.hasRemaining()) {
        if (in.capacity() >= limits.maxHeaderBytes()) {
          tooLarge();
          return;
        }
        ByteBuffer bigger =
            ByteBuffer.allocate(Math.min(in.capacity() * 2, limits.maxHeaderBytes()));
        in.flip();
        bigger.put(in);
        in = bigger;
      }
      int read;
      try {
        read = channel.read(in);
      } catch (IOException e) {
        close();
        return;
      }
      if (read < 0) {
        close();
        return;
      }
      parse(now);
    }

    /** Dispatches the request whose head is complete in {@code in}, if any. */
    void parse(long now) {
      byte[] bytes = in.array();
      int length = in.position();
      int skip = 0;
      while (skip < length && (bytes[skip] == '\r' || bytes[skip] == '\n')) {
        skip++; // empty lines before a request line are allowed (RFC 9112, 2.2)
      }
      if (skip > 0) {
        consume(skip);
        length = in.position();
      }
      int end = RequestHead.end(bytes, scanned - 3, length);
      if (end < 0) {
        scanned = length;
        if (length >= limits.maxHeaderBytes()) {
          tooLarge();
        }
        return;
      }
      RequestHead head;
      try {
        head = RequestHead.parse(bytes, end);
      } catch (RequestHead.Malformed e) {
        if (e.tooLarge) {
          tooLarge();
        } else {
          rejections.record(ScrapeRejections.Reason.BAD_REQUEST);
          sendAndClose(plain(400, "Bad Request", "Bad request: " + e.getMessage() + "\n"));
        }
        return;
      }
      consume(end);
      if (!head.method.equals("GET") && !head.method.equals("HEAD")) {
        // The body, if any, is never read: answer and close.
        respond(
            Response.of(head, 405, "Method Not Allowed\n").header("Allow", "GET, HEAD"), true, now);
        return;
      }
      if (head.hasBody()) {
        rejections.record(ScrapeRejections.Reason.BAD_REQUEST);
        sendAndClose(plain(400, "Bad Request", "Bad request: a GET or HEAD has no body\n"));
        return;
      }
      dispatch(head, now);
    }

    private void consume(int count) {
      in.flip();
      in.position(count);
      in.compact();
      scanned = 0;
    }

    private void tooLarge() {
      rejections.record(ScrapeRejections.Reason.HEADER_TOO_LARGE);
      sendAndClose(HEADER_TOO_LARGE);
    }

    private void dispatch(RequestHead head, long now) {
      enter(State.HANDLING, now);
      interest(0);
      boolean closeAfter = head.closes();
      try {
        workers.execute(() -> serve(head, now, closeAfter));
      } catch (RejectedExecutionException e) {
        sendAndClose(SERVICE_UNAVAILABLE);
      }
    }

    /**
     * On a worker thread. Always posts an answer (or a close) for the selector thread, whatever
     * fails: a connection is never left waiting for a reply that will not come.
     */
    private void serve(RequestHead head, long received, boolean closeAfter) {
      ServerExchange exchange = new ServerExchange(head, received);
      Reply reply = null;
      VirtualMachineError fatal = null;
      try {
        if (!"/metrics".equals(head.path)) {
          exchange.plainResponse(404, NOT_FOUND);
        } else {
          handler.handle(exchange);
        }
        Response response = exchange.response;
        if (response != null) {
          reply = encode(response, closeAfter);
        }
      } catch (Throwable e) { // NOPMD: even an Error is answered, and the connection released
        errors.record(TelemetryErrors.METRICS_SCRAPE, e);
        reply = new Reply(new ByteBuffer[] {INTERNAL_ERROR.duplicate()}, 0, true, false);
        if (e instanceof VirtualMachineError error) {
          fatal = error;
        }
      } finally {
        Reply answer = reply;
        post(
            () -> {
              try {
                respond(answer, System.nanoTime());
              } catch (Throwable e) { // NOPMD: only this connection fails
                abort(e);
              }
            });
      }
      if (fatal != null) {
        throw fatal; // the pool replaces the thread; the JVM's handler sees it
      }
    }

    /**
     * Frames {@code response} without copying its body, within the bytes all responses may hold
     * together; above them the client is answered {@code 503} at once.
     */
    private Reply encode(Response response, boolean closeAfter) {
      byte[] start = response.start(closeAfter);
      long size = start.length + (response.head ? 0 : (long) response.body.length);
      long total = bufferedBytes.addAndGet(size);
      if (total > limits.maxBufferedBytes() && total != size) {
        bufferedBytes.addAndGet(-size);
        rejections.record(
            ScrapeRejections.Reason.BUFFER_LIMIT,
            () -> (total - size) + " bytes of responses were waiting for their clients");
        return new Reply(new ByteBuffer[] {BUFFERS_FULL.duplicate()}, 0, true, false);
      }
      ByteBuffer[] parts =
          response.head
              ? new ByteBuffer[] {ByteBuffer.wrap(start)}
              : new ByteBuffer[] {
                ByteBuffer.wrap(start), ByteBuffer.wrap(response.body, 0, response.bodyLength)
              };
      return new Reply(parts, size, closeAfter, response.status < 300);
    }

    void respond(@Nullable Reply reply, long now) {
      if (state != State.HANDLING) {
        // Cut off by its deadline or closed meanwhile.
        if (reply != null) {
          bufferedBytes.addAndGet(-reply.reserved());
        }
        return;
      }
      if (reply == null) {
        close();
        return;
      }
      out = reply.parts();
      outReserved = reply.reserved();
      closeAfterWrite = reply.closeAfter();
      answering200 = reply.success();
      written = 0;
      lastProgress = now;
      windowStart = now;
      windowWritten = 0;
      enter(State.WRITING, now);
      write(now);
    }

    /** An answer the selector thread makes itself (a short refusal). */
    void respond(Response response, boolean closeAfter, long now) {
      enter(State.HANDLING, now);
      respond(encode(response, closeAfter), now);
    }

    void write(long now) {
      ByteBuffer[] pending = out;
      if (pending == null || state != State.WRITING) {
        return;
      }
      try {
        long wrote = channel.write(pending);
        if (wrote > 0) {
          written += wrote;
          lastProgress = now;
        }
      } catch (IOException e) {
        close();
        return;
      }
      if (pending[pending.length - 1].hasRemaining()) {
        interest(SelectionKey.OP_WRITE);
        return;
      }
      releaseOut();
      succeeded = answering200;
      if (closeAfterWrite || closed.get()) {
        linger(now);
        return;
      }
      if (in.position() > 0) {
        enter(State.READING, now); // the next request was sent already (pipelining)
        interest(SelectionKey.OP_READ);
        parse(now);
      } else {
        enter(State.IDLE, now);
        interest(SelectionKey.OP_READ);
      }
    }

    private void releaseOut() {
      out = null;
      if (outReserved != 0) {
        bufferedBytes.addAndGet(-outReserved);
        outReserved = 0;
      }
    }

    private void interest(int ops) {
      SelectionKey selectionKey = key;
      if (selectionKey != null && selectionKey.isValid()) {
        selectionKey.interestOps(ops);
      }
    }

    /** Writes what fits of a short answer without waiting, and closes. */
    void sendAndClose(ByteBuffer response) {
      try {
        channel.write(response.duplicate());
      } catch (IOException e) {
        close();
        return;
      }
      linger(System.nanoTime());
    }

    /**
     * Ends the output and reads what the client still sends for a moment: closing with unread input
     * would reset the connection, and the client could lose the answer before reading it.
     */
    private void linger(long now) {
      try {
        channel.shutdownOutput();
      } catch (IOException e) {
        close();
        return;
      }
      enter(State.DRAINING, now);
      interest(SelectionKey.OP_READ);
    }

    private void drain() {
      try {
        while (true) {
          drained.clear();
          int read = channel.read(drained);
          drainedBytes += Math.max(read, 0);
          if (read < 0 || drainedBytes > LINGER_MAX_BYTES) {
            close();
            return;
          }
          if (read == 0) {
            return;
          }
        }
      } catch (IOException e) {
        close();
      }
    }

    void close() {
      if (state == State.CLOSED) {
        return;
      }
      enter(State.CLOSED, System.nanoTime());
      releaseOut();
      SelectionKey selectionKey = key;
      if (selectionKey != null) {
        selectionKey.cancel();
      }
      closeQuietly(channel);
      if (all.remove(this)) {
        int[] count = perAddress.get(remote);
        if (count != null && --count[0] <= 0) {
          perAddress.remove(remote);
        }
      }
      openConnections = all.size();
    }
  }

  /** A response, built by a worker and written by the selector thread. */
  private static final class Response {
    final int status;
    final boolean head;
    final List<String> headers = new ArrayList<>(12);
    final byte[] body;
    final int bodyLength;
    @Nullable String headContentLength;

    private Response(int status, boolean head, byte[] body, int bodyLength) {
      this.status = status;
      this.head = head;
      this.body = body;
      this.bodyLength = bodyLength;
    }

    static Response of(RequestHead request, int status, String text) {
      byte[] body = text.getBytes(StandardCharsets.UTF_8);
      return new Response(status, request.method.equals("HEAD"), body, body.length)
          .header("Content-Type", "text/plain; charset=utf-8");
    }

    Response header(String name, String value) {
      headers.add(name);
      headers.add(value);
      return this;
    }

    /** The status line and header fields, up to and including the empty line. */
    byte[] start(boolean closeAfter) {
      StringBuilder text = new StringBuilder(256);
      text.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
      text.append("Date: ").append(HttpDate.now()).append("\r\n");
      for (int i = 0; i < headers.size(); i += 2) {
        text.append(headers.get(i)).append(": ").append(headers.get(i + 1)).append("\r\n");
      }
      if (!head) {
        text.append("Content-Length: ").append(bodyLength).append("\r\n");
      } else if (headContentLength != null) {
        text.append("Content-Length: ").append(headContentLength).append("\r\n");
      }
      if (closeAfter) {
        text.append("Connection: close\r\n");
      }
      text.append("\r\n");
      return text.toString().getBytes(StandardCharsets.ISO_8859_1);
    }
  }

  /**
   * What the server serves: the handler (in the library, {@code MetricsHandler#handle}), where it
   * counts refusals and reports failures, and the scrape budget a request may take.
   */
  public record Endpoint(
      Handler handler, ScrapeRejections rejections, TelemetryErrors errors, Duration budget) {
    /** Answers one exchange; it is closed by the handler. */
    @FunctionalInterface
    public interface Handler {
      void handle(PrometheusHttpExchange exchange) throws IOException;
    }
  }

  /** The exchange handed to the endpoint's handler: the parsed head, and a buffered response. */
  private static final class ServerExchange
      implements PrometheusHttpExchange,
          PrometheusHttpRequest,
          PrometheusHttpResponse,
          ReceivedExchange {
    private final RequestHead head;
    private final long received;
    private final List<String> headers = new ArrayList<>(8);
    private @Nullable String contentLength;
    private int status;
    private @Nullable Body body;
    @Nullable Response response;

    ServerExchange(RequestHead head, long received) {
      this.head = head;
      this.received = received;
    }

    /** A body buffer whose array is handed over without a copy. */
    private static final class Body extends ByteArrayOutputStream {
      Body(int size) {
        super(size);
      }

      byte[] bytes() {
        return buf;
      }
    }

    @Override
    public long receivedNanos() {
      return received;
    }

    @Override
    public PrometheusHttpRequest getRequest() {
      return this;
    }

    @Override
    public PrometheusHttpResponse getResponse() {
      return this;
    }

    @Override
    public @Nullable String getQueryString() {
      return head.query;
    }

    @Override
    public Enumeration<String> getHeaders(String name) {
      return Collections.enumeration(head.values(name));
    }

    @Override
    public String getMethod() {
      return head.method;
    }

    @Override
    public String getRequestPath() {
      return head.path;
    }

    @Override
    public void setHeader(String name, String value) {
      // The server frames the message itself.
      if (name.equalsIgnoreCase("Content-Length")) {
        contentLength = value;
      } else if (!name.equalsIgnoreCase("Transfer-Encoding")
          && !name.equalsIgnoreCase("Connection")) {
        headers.add(name);
        headers.add(value);
      }
    }

    @Override
    public OutputStream sendHeadersAndGetBody(int statusCode, int length) {
      status = statusCode;
      Body buffer = new Body(Math.max(length, 64));
      body = buffer;
      return buffer;
    }

    void plainResponse(int statusCode, byte[] text) throws IOException {
      setHeader("Content-Type", "text/plain; charset=utf-8");
      try (OutputStream out = sendHeadersAndGetBody(statusCode, text.length)) {
        out.write(text);
      }
      close();
    }

    @Override
    public void handleException(IOException e) throws IOException {
      throw e;
    }

    @Override
    public void handleException(RuntimeException e) {
      throw e;
    }

    @Override
    public void close() {
      if (response != null || status == 0) {
        return;
      }
      Body buffer = body;
      byte[] bytes = buffer == null ? new byte[0] : buffer.bytes();
      int size = buffer == null ? 0 : buffer.size();
      Response built = new Response(status, head.method.equals("HEAD"), bytes, size);
      built.headers.addAll(headers);
      built.headContentLength = contentLength;
      response = built;
    }
  }

  /** What to write for one request; {@code reserved} bytes count in the buffered total. */
  private record Reply(ByteBuffer[] parts, long reserved, boolean closeAfter, boolean success) {}

  /** A short plain-text answer, then the connection closes. */
  private static ByteBuffer plain(int status, String reason, String text) {
    return plain(status, reason, "", text);
  }

  private static ByteBuffer plain(int status, String reason, String fields, String text) {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 "
            + status
            + " "
            + reason
            + "\r\n"
            + fields
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: "
            + body.length
            + "\r\nConnection: close\r\n\r\n";
    byte[] start = head.getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = Arrays.copyOf(start, start.length + body.length);
    System.arraycopy(body, 0, all, start.length, body.length);
    return ByteBuffer.wrap(all).asReadOnlyBuffer();
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "Status";
    };
  }

  /** The {@code Date} header, formatted at most once a second. */
  private static final class HttpDate {
    private record Stamp(long second, String text) {}

    private static volatile Stamp cached = new Stamp(-1, "");

    static String now() {
      long second = System.currentTimeMillis() / 1000;
      Stamp known = cached;
      if (known.second() == second) {
        return known.text();
      }
      String text =
          DateTimeFormatter.RFC_1123_DATE_TIME.format(
              ZonedDateTime.ofInstant(Instant.ofEpochSecond(second), ZoneOffset.UTC));
      cached = new Stamp(second, text);
      return text;
    }
  }

  private static void closeQuietly(@Nullable AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception ignored) {
      // Nothing more to release.
    }
  }
}
