package io.ktrdr.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The app's version, from the resource Maven filters at build time. */
public final class AppVersion {
  private static final Properties PROPERTIES = load();
  private static final String VERSION = PROPERTIES.getProperty("version", "unknown");

  private AppVersion() {}

  public static String get() {
    return VERSION;
  }

  /** The version of the Swagger UI webjar the docs page loads. */
  public static String swaggerUi() {
    return PROPERTIES.getProperty("swagger-ui.version", "unknown");
  }

  private static Properties load() {
    Properties properties = new Properties();
    try (InputStream in = AppVersion.class.getResourceAsStream("/ktrdr-app.properties")) {
      if (in != null) {
        properties.load(in);
      }
      return properties;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
