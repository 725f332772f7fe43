package io.ktrdr.app.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The app's routes, each with its documentation. Routes are registered in Javalin and described in
 * the OpenAPI document from this one list, so the two cannot drift apart.
 */
public final class RouteCatalog {
  private static final Pattern PATH_PARAM = Pattern.compile("\\{([^}]+)}");

  /** What the OpenAPI document says about one route. */
  public record Doc(
      String tag,
      String summary,
      Map<String, String> query,
      Map<String, Object> requestExample,
      Map<Integer, String> responses) {}

  /** One route: method, path template, documentation, handler. */
  public record Route(HandlerType method, String path, Doc doc, Handler handler) {}

  private final List<Route> routes = new ArrayList<>();

  /** Starts documenting a route. */
  public static DocBuilder doc(String tag, String summary) {
    return new DocBuilder(tag, summary);
  }

  public RouteCatalog add(HandlerType method, String path, DocBuilder doc, Handler handler) {
    routes.add(new Route(method, path, doc.build(), handler));
    return this;
  }

  public RouteCatalog get(String path, DocBuilder doc, Handler handler) {
    return add(HandlerType.GET, path, doc, handler);
  }

  public RouteCatalog post(String path, DocBuilder doc, Handler handler) {
    return add(HandlerType.POST, path, doc, handler);
  }

  public RouteCatalog delete(String path, DocBuilder doc, Handler handler) {
    return add(HandlerType.DELETE, path, doc, handler);
  }

  public List<Route> routes() {
    return List.copyOf(routes);
  }

  /** Registers every route in Javalin. */
  public void install(JavalinConfig config) {
    for (Route route : routes) {
      config.routes.addHttpHandler(route.method(), route.path(), route.handler());
    }
  }

  /** The OpenAPI 3.0 document of these routes (plus {@code extra} paths served elsewhere). */
  public Map<String, Object> openApi(String title, String version, List<Route> extra) {
    Map<String, Object> paths = new LinkedHashMap<>();
    List<Route> all = new ArrayList<>(routes);
    all.addAll(extra);
    for (Route route : all) {
      @SuppressWarnings("unchecked")
      Map<String, Object> item =
          (Map<String, Object>) paths.computeIfAbsent(route.path(), p -> new LinkedHashMap<>());
      item.put(route.method().name().toLowerCase(Locale.ROOT), operation(route));
    }
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("title", title);
    info.put("version", version);
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("openapi", "3.0.3");
    document.put("info", info);
    document.put("paths", paths);
    return document;
  }

  private static Map<String, Object> operation(Route route) {
    Doc doc = route.doc();
    Map<String, Object> operation = new LinkedHashMap<>();
    operation.put("tags", List.of(doc.tag()));
    operation.put("summary", doc.summary());
    operation.put(
        "operationId",
        route.method().name().toLowerCase(Locale.ROOT)
            + route.path().replaceAll("[^A-Za-z0-9]+", "_"));
    List<Map<String, Object>> parameters = new ArrayList<>();
    Matcher matcher = PATH_PARAM.matcher(route.path());
    while (matcher.find()) {
      parameters.add(parameter(matcher.group(1), "path", true, null));
    }
    doc.query()
        .forEach(
            (name, description) -> parameters.add(parameter(name, "query", false, description)));
    if (!parameters.isEmpty()) {
      operation.put("parameters", parameters);
    }
    if (doc.requestExample() != null) {
      operation.put(
          "requestBody",
          Map.of(
              "required",
              true,
              "content",
              Map.of(
                  "application/json",
                  Map.of("schema", Map.of("type", "object"), "example", doc.requestExample()))));
    }
    Map<String, Object> responses = new LinkedHashMap<>();
    doc.responses()
        .forEach(
            (status, description) ->
                responses.put(String.valueOf(status), Map.of("description", description)));
    operation.put("responses", responses);
    return operation;
  }

  private static Map<String, Object> parameter(
      String name, String in, boolean required, String description) {
    Map<String, Object> parameter = new LinkedHashMap<>();
    parameter.put("name", name);
    parameter.put("in", in);
    parameter.put("required", required);
    parameter.put("schema", Map.of("type", "string"));
    if (description != null) {
      parameter.put("description", description);
    }
    return parameter;
  }

  /** Collects a route's documentation. */
  public static final class DocBuilder {
    private final String tag;
    private final String summary;
    private final Map<String, String> query = new LinkedHashMap<>();
    private final Map<Integer, String> responses = new LinkedHashMap<>();
    private Map<String, Object> requestExample;

    private DocBuilder(String tag, String summary) {
      this.tag = tag;
      this.summary = summary;
    }

    public DocBuilder query(String name, String description) {
      query.put(name, description);
      return this;
    }

    public DocBuilder body(Map<String, Object> example) {
      this.requestExample = example;
      return this;
    }

    public DocBuilder responds(int status, String description) {
      responses.put(status, description);
      return this;
    }

    Doc build() {
      Map<Integer, String> documented = new LinkedHashMap<>(responses);
      if (documented.isEmpty()) {
        documented.put(200, "OK");
      }
      return new Doc(
          tag,
          summary,
          java.util.Collections.unmodifiableMap(new LinkedHashMap<>(query)),
          requestExample,
          documented);
    }
  }
}
