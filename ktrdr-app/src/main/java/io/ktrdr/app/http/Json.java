package io.ktrdr.app.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson3;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;

/** JSON bodies and JSON errors, shared by the API and the workers. */
public final class Json {

  /** The one mapper of the app: snake_case, and unknown fields are an error. */
  public static final JsonMapper MAPPER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .build();

  private Json() {}

  /**
   * Sets Jackson 3 as Javalin's mapper and maps every failure to a JSON error body: {@code
   * {"error": ..., "message": ...}}, never a stack trace. A 405 names the allowed methods of {@code
   * catalog} in {@code Allow}; a 401 carries {@code WWW-Authenticate: Bearer}.
   */
  public static void configure(JavalinConfig config, RouteCatalog catalog) {
    configure(config, catalog, new ServerErrors(Clock.systemUTC()));
  }

  /**
   * As {@link #configure(JavalinConfig, RouteCatalog)}, unexpected failures logged by {@code
   * errors}.
   */
  static void configure(JavalinConfig config, RouteCatalog catalog, ServerErrors errors) {
    config.jsonMapper(new JavalinJackson3(MAPPER, false));
    config.http.prefer405over404 = true;
    config.routes.exception(
        ApiException.class,
        (e, ctx) -> {
          if (e.status() == 401) {
            ctx.header("WWW-Authenticate", "Bearer");
          }
          if (e.retryAfterSeconds() > 0) {
            ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
          }
          ctx.status(e.status()).json(error(e.error(), e.getMessage()));
        });
    config.routes.exception(
        HttpResponseException.class,
        (e, ctx) -> {
          if (e.getStatus() == 405) {
            ctx.header("Allow", String.join(", ", catalog.allowedMethods(ctx.path())));
            ctx.status(405)
                .json(
                    error(
                        "method_not_allowed",
                        "Method "
                            + RequestGuard.abbreviate(ctx.req().getMethod())
                            + " is not allowed here; allowed: "
                            + String.join(", ", catalog.allowedMethods(ctx.path()))));
            return;
          }
          ctx.status(e.getStatus()).json(error(reason(e.getStatus()), e.getMessage()));
        });
    config.routes.exception(
        Exception.class,
        (e, ctx) -> {
          io.javalin.router.Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
          errors.failed(
              ctx.method().name(), ctx.path(), endpoint == null ? null : endpoint.path, e);
          ctx.status(500).json(error("internal_error", "An internal error occurred"));
        });
    config.routes.error(
        404,
        ctx -> {
          String type = ctx.res().getContentType();
          if (ctx.result() == null || type == null || !type.startsWith("application/json")) {
            ctx.json(
                error("not_found", "No such resource: " + RequestGuard.abbreviate(ctx.path())));
          }
        });
  }

  /** The request body as {@code type}; 400 with a clear message when missing or malformed. */
  public static <T> T body(Context ctx, Class<T> type) {
    return body(ctx, type, field -> null);
  }

  /**
   * The request body as {@code type}; a field of the wrong type gets a 400 that says what it takes
   * ({@code expected} maps a field name to, say, {@code an integer from 1 to 200}, or null).
   */
  public static <T> T body(Context ctx, Class<T> type, Function<String, String> expected) {
    byte[] guarded = RequestGuard.body(ctx);
    String body = guarded != null ? new String(guarded, StandardCharsets.UTF_8) : ctx.body();
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
      throw ApiException.badRequest(describe(e, expected));
    }
  }

  /** {@code value} (a parsed JSON object) as {@code type}; 400 naming the field otherwise. */
  public static <T> T convert(Object value, Class<T> type) {
    return convert(value, type, field -> null);
  }

  /** As {@link #convert(Object, Class)}, the 400 saying what a wrong-typed field takes. */
  public static <T> T convert(Object value, Class<T> type, Function<String, String> expected) {
    try {
      return MAPPER.convertValue(value, type);
    } catch (JacksonException e) {
      throw ApiException.badRequest(describe(e, expected));
    }
  }

  /**
   * What was wrong with a body, in the API's words: the field and the problem, never a Java type or
   * a parser's internals.
   */
  static String describe(JacksonException e, Function<String, String> expected) {
    String field =
        e.getPath().stream()
            .map(
                reference ->
                    reference.getPropertyName() != null
                        ? reference.getPropertyName()
                        : "[" + reference.getIndex() + "]")
            .collect(Collectors.joining("."))
            .replace(".[", "[");
    if (e instanceof UnrecognizedPropertyException unknown) {
      return "Unknown field '"
          + RequestGuard.abbreviate(String.valueOf(unknown.getPropertyName()))
          + "'"
          + (field.contains(".") ? " in " + field.substring(0, field.lastIndexOf('.')) : "");
    }
    if (e instanceof InputCoercionException coercion && field.isEmpty()) {
      // A number beyond its field's type (2147483648 for an int) is a bad value, not bad JSON.
      try {
        field = String.valueOf(coercion.processor().currentName());
      } catch (RuntimeException unknown) {
        field = "";
      }
    }
    if (e instanceof StreamReadException read
        && !(e instanceof InputCoercionException)
        && read.getLocation() != null) {
      return "Malformed JSON at line "
          + read.getLocation().getLineNr()
          + ", column "
          + read.getLocation().getColumnNr();
    }
    if (field.isEmpty()) {
      return "The body must be a JSON object with the documented fields";
    }
    String takes = expected.apply(field);
    return "Field '"
        + RequestGuard.abbreviate(field)
        + "' has the wrong type or value"
        + (takes == null ? "" : ": expected " + takes);
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

  static String reason(int status) {
    switch (status) {
      case 400:
        return "bad_request";
      case 401:
        return "unauthorized";
      case 403:
        return "forbidden";
      case 404:
        return "not_found";
      case 405:
        return "method_not_allowed";
      case 408:
        return "request_timeout";
      case 413:
        return "payload_too_large";
      case 414:
        return "uri_too_long";
      case 415:
        return "unsupported_media_type";
      case 431:
        return "header_too_large";
      case 503:
        return "unavailable";
      default:
        return status >= 500 ? "internal_error" : "error";
    }
  }
}
