package io.ktrdr.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The app's version, from the resource Maven filters at build time. */
public final class AppVersion {
  private static final String VERSION = load();

  private AppVersion() {}

  public static String get() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = AppVersion.class.getResourceAsStream("/ktrdr-app.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
