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
      Map<String, Map<String, Object>> querySchemas,
      Map<String, Object> requestExample,
      Map<Integer, String> responses,
      Access access,
      int maxBody) {}

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

  /** Registers every route in Javalin, each behind {@code guard}'s checks. */
  public void install(JavalinConfig config, RequestGuard guard) {
    for (Route route : routes) {
      config.routes.addHttpHandler(
          route.method(),
          route.path(),
          ctx -> {
            guard.check(ctx, route);
            route.handler().handle(ctx);
          });
    }
  }

  /** The methods routed for {@code path} (for {@code Allow} on a 405), in route order. */
  public List<String> allowedMethods(String path) {
    List<String> methods = new ArrayList<>();
    for (Route route : routes) {
      String name = route.method().name();
      if (!methods.contains(name) && template(route.path()).matcher(path).matches()) {
        methods.add(name);
      }
    }
    return methods;
  }

  private static Pattern template(String path) {
    StringBuilder regex = new StringBuilder();
    Matcher matcher = PATH_PARAM.matcher(path);
    int last = 0;
    while (matcher.find()) {
      regex.append(Pattern.quote(path.substring(last, matcher.start()))).append("[^/]+");
      last = matcher.end();
    }
    regex.append(Pattern.quote(path.substring(last)));
    return Pattern.compile(regex.toString());
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
    Map<String, Object> bearer = Map.of("type", "http", "scheme", "bearer");
    document.put(
        "components",
        Map.of("securitySchemes", Map.of("apiToken", bearer, "clusterSecret", bearer)));
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
      parameters.add(parameter(matcher.group(1), "path", true, null, STRING));
    }
    doc.query()
        .forEach(
            (name, description) ->
                parameters.add(
                    parameter(
                        name,
                        "query",
                        false,
                        description,
                        doc.querySchemas().getOrDefault(name, STRING))));
    if (!parameters.isEmpty()) {
      operation.put("parameters", parameters);
    }
    if (doc.access() != Access.PUBLIC) {
      operation.put(
          "security",
          List.of(
              Map.of(doc.access() == Access.CLUSTER ? "clusterSecret" : "apiToken", List.of())));
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

  private static final Map<String, Object> STRING = Map.of("type", "string");

  private static Map<String, Object> parameter(
      String name, String in, boolean required, String description, Map<String, Object> schema) {
    Map<String, Object> parameter = new LinkedHashMap<>();
    parameter.put("name", name);
    parameter.put("in", in);
    parameter.put("required", required);
    parameter.put("schema", schema);
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
    private final Map<String, Map<String, Object>> querySchemas = new LinkedHashMap<>();
    private final Map<Integer, String> responses = new LinkedHashMap<>();
    private Map<String, Object> requestExample;
    private Access access = Access.USER;
    private int maxBody;

    private DocBuilder(String tag, String summary) {
      this.tag = tag;
      this.summary = summary;
    }

    public DocBuilder query(String name, String description) {
      query.put(name, description);
      return this;
    }

    /** An integer query parameter, documented with its range (outside it, the route says 400). */
    public DocBuilder query(String name, String description, int minimum, int maximum) {
      Map<String, Object> schema = new LinkedHashMap<>();
      schema.put("type", "integer");
      schema.put("minimum", minimum);
      schema.put("maximum", maximum);
      querySchemas.put(name, java.util.Collections.unmodifiableMap(schema));
      return query(name, description);
    }

    /** A JSON body, at most {@code maxBytes}, with an example for the documentation. */
    public DocBuilder body(Map<String, Object> example, int maxBytes) {
      this.requestExample = example;
      this.maxBody = maxBytes;
      return this;
    }

    /** Who may call the route; {@link Access#USER} unless set. */
    public DocBuilder access(Access access) {
      this.access = access;
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
          Map.copyOf(querySchemas),
          requestExample,
          documented,
          access,
          maxBody);
    }
  }
}
