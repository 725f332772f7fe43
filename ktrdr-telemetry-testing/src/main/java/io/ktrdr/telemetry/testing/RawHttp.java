package io.ktrdr.telemetry.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** HTTP/1.1 by hand over a socket to 127.0.0.1, for what a client library would not send. */
public final class RawHttp {
  private RawHttp() {}

  /** Sends {@code request} on a new connection and returns all it got until the server closed. */
  public static String exchange(int port, String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  /** Reads one response (head and a {@code Content-Length} body) from {@code in}. */
  public static String response(InputStream in) throws IOException {
    return response(in, false);
  }

  /** Reads one response; the answer to a HEAD has no body, whatever its length says. */
  public static String response(InputStream in, boolean toHead) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head);
      }
      head.write(b);
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    int length = 0;
    for (String line : text.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return toHead ? text : text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }
}
