package io.ktrdr.bench;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * A servlet response for {@link FilterBenchmark}: a status and no headers; the rest throws. Reused
 * across invocations.
 */
final class LightResponse implements HttpServletResponse {
  private int status = 200;

  @Override
  public String getCharacterEncoding() {
    throw new UnsupportedOperationException();
  }

  @Override
  public String getContentType() {
    throw new UnsupportedOperationException();
  }

  @Override
  public ServletOutputStream getOutputStream() throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public PrintWriter getWriter() throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public void setCharacterEncoding(String arg0) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void setContentLength(int arg0) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void setContentLengthLong(long arg0) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void setContentType(String arg0) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void setBufferSize(int arg0) {
    throw new UnsupportedOperationException();
  }

  @Override
  public int getBufferSize() {
    throw new UnsupportedOperationException();
  }

  @Override
  public void flushBuffer() throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public void resetBuffer() {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean isCommitted() {
    throw new UnsupportedOperationException();
  }

  @Override
  public void reset() {
    throw new UnsupportedOperationException();
  }

  @Override
  public void setLocale(Locale arg0) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Locale getLocale() {
    throw new UnsupportedOperationException();
  }

  @Override
  public void addCookie(Cookie arg0) {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean containsHeader(String arg0) {
    return false;
  }

  @Override
  public String encodeURL(String arg0) {
    throw new UnsupportedOperationException();
  }

  @Override
  public String encodeRedirectURL(String arg0) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void sendError(int arg0, String arg1) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public void sendError(int arg0) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public void sendRedirect(String arg0) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public void setDateHeader(String arg0, long arg1) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void addDateHeader(String arg0, long arg1) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void setHeader(String arg0, String arg1) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void addHeader(String arg0, String arg1) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void setIntHeader(String arg0, int arg1) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void addIntHeader(String arg0, int arg1) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void setStatus(int status) {
    this.status = status;
  }

  @Override
  public int getStatus() {
    return status;
  }

  @Override
  public String getHeader(String name) {
    return null;
  }

  @Override
  public Collection<String> getHeaders(String name) {
    return List.of();
  }

  @Override
  public Collection<String> getHeaderNames() {
    throw new UnsupportedOperationException();
  }
}
