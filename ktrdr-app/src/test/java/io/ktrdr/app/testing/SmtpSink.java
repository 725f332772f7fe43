package io.ktrdr.app.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A minimal SMTP server on a free loopback port (plain SMTP, no TLS, no auth: what Alertmanager
 * speaks to a relay with {@code smtp_require_tls: false}) that keeps every message it receives.
 */
public final class SmtpSink implements AutoCloseable {
  /** One received message: its recipients and its raw text (headers and body). */
  public record Mail(List<String> recipients, String text) {}

  private final ServerSocket socket;
  private final List<Mail> mails = new CopyOnWriteArrayList<>();
  private final Thread acceptor;

  private SmtpSink(ServerSocket socket) {
    this.socket = socket;
    this.acceptor = new Thread(this::acceptLoop, "smtp-sink");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public static SmtpSink start() {
    try {
      return new SmtpSink(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String address() {
    return "127.0.0.1:" + socket.getLocalPort();
  }

  public List<Mail> mails() {
    return List.copyOf(mails);
  }

  /** Waits until a message matching {@code condition} arrived; returns it. */
  public Mail await(Predicate<Mail> condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (Mail mail : mails) {
        if (condition.test(mail)) {
          return mail;
        }
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("no mail " + what + " within " + timeout + "; got " + mails);
  }

  private void acceptLoop() {
    while (!socket.isClosed()) {
      try (Socket client = socket.accept()) {
        client.setSoTimeout(10_000);
        converse(client);
      } catch (IOException closedOrBroken) {
        // next connection, or the sink is closed
      }
    }
  }

  private void converse(Socket client) throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
    OutputStream out = client.getOutputStream();
    reply(out, "220 smtp-sink ready");
    List<String> recipients = new ArrayList<>();
    String line;
    while ((line = in.readLine()) != null) {
      String command = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line;
      switch (command) {
        case "EHLO", "HELO" -> reply(out, "250 smtp-sink");
        case "MAIL", "RSET", "NOOP" -> {
          if (!command.equals("NOOP")) {
            recipients = new ArrayList<>();
          }
          reply(out, "250 OK");
        }
        case "RCPT" -> {
          recipients.add(line.replaceAll("(?i)^RCPT TO:\\s*<?([^>]*)>?.*$", "$1"));
          reply(out, "250 OK");
        }
        case "DATA" -> {
          reply(out, "354 end with <CRLF>.<CRLF>");
          StringBuilder text = new StringBuilder();
          while ((line = in.readLine()) != null && !line.equals(".")) {
            text.append(line.startsWith("..") ? line.substring(1) : line).append('\n');
          }
          mails.add(new Mail(List.copyOf(recipients), text.toString()));
          reply(out, "250 OK queued");
        }
        case "QUIT" -> {
          reply(out, "221 bye");
          return;
        }
        default -> reply(out, "502 not implemented");
      }
    }
  }

  private static void reply(OutputStream out, String line) throws IOException {
    out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
