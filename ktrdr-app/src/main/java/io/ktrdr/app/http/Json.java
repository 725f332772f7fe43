package io.ktrdr.app.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson3;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/** JSON bodies and JSON errors, shared by the API and the workers. */
public final class Json {
  private static final Logger logger = LoggerFactory.getLogger(Json.class);

  /** The one mapper of the app. */
  public static final JsonMapper MAPPER =
      JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();

  private Json() {}

  /** Sets Jackson 3 as Javalin's mapper and maps every failure to a JSON error body. */
  public static void configure(JavalinConfig config) {
    config.jsonMapper(new JavalinJackson3(MAPPER, false));
    config.routes.exception(
        ApiException.class,
        (e, ctx) -> ctx.status(e.status()).json(error(e.error(), e.getMessage())));
    config.routes.exception(
        HttpResponseException.class,
        (e, ctx) -> ctx.status(e.getStatus()).json(error(reason(e.getStatus()), e.getMessage())));
    config.routes.exception(
        Exception.class,
        (e, ctx) -> {
          logger.error("Request failed: {} {}", ctx.method(), ctx.path(), e);
          ctx.status(500).json(error("internal_error", "An internal error occurred"));
        });
  }

  /** The request body as {@code type}; 400 with a clear message when missing or malformed. */
  public static <T> T body(Context ctx, Class<T> type) {
    String body = ctx.body();
    if (body.isBlank()) {
      throw ApiException.badRequest("A JSON request body is required");
    }
    try {
      T value = MAPPER.readValue(body, type);
      if (value == null) {
        throw ApiException.badRequest("A JSON object is required, not null");
      }
      return value;
    } catch (JacksonException e) {
      throw ApiException.badRequest("Malformed JSON body: " + e.getOriginalMessage());
    }
  }

  /** The request body as a JSON object; 400 when missing or malformed. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> bodyAsMap(Context ctx) {
    return body(ctx, Map.class);
  }

  public static Map<String, Object> error(String error, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", error);
    body.put("message", message);
    return body;
  }

  private static String reason(int status) {
    switch (status) {
      case 400:
        return "bad_request";
      case 404:
        return "not_found";
      case 405:
        return "method_not_allowed";
      case 413:
        return "payload_too_large";
      case 503:
        return "unavailable";
      default:
        return status >= 500 ? "internal_error" : "error";
    }
  }
}
