package io.ktrdr.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * ktrdr-telemetry-bom has no parent (so that ktrdr-parent's own dependency management does not
 * reach users), hence its versions are written twice: this test keeps them equal to the build's.
 */
class BomAlignmentTest {
  private static final Path ROOT =
      Path.of(System.getProperty("repository.root")).toAbsolutePath().normalize();

  @Test
  void bomVersionsAreTheOnesTheLibraryIsBuiltWith() throws Exception {
    Document parent = parse(ROOT.resolve("pom.xml"));
    Document bom = parse(ROOT.resolve("ktrdr-telemetry-bom/pom.xml"));

    assertThat(child(bom.getDocumentElement(), "version"))
        .as("the BOM's version")
        .isEqualTo(child(parent.getDocumentElement(), "version"));
    for (Map.Entry<String, String> property :
        Map.of(
                "otel.version", "otel.version",
                "otel-instrumentation.version", "otel-instrumentation.version",
                "prometheus-client.version", "prometheus-client.version")
            .entrySet()) {
      assertThat(property(bom, property.getValue()))
          .as("BOM property %s", property.getValue())
          .isEqualTo(property(parent, property.getKey()));
    }
    assertThat(property(bom, "protobuf.version"))
        .as("the protobuf-java the BOM pins")
        .isEqualTo(managedVersion(parent, "com.google.protobuf", "protobuf-java"));
  }

  private static Document parse(Path pom) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
  }

  private static String property(Document pom, String name) {
    Element properties = (Element) pom.getElementsByTagName("properties").item(0);
    return child(properties, name);
  }

  private static String managedVersion(Document pom, String groupId, String artifactId) {
    NodeList dependencies = pom.getElementsByTagName("dependency");
    for (int i = 0; i < dependencies.getLength(); i++) {
      Element dependency = (Element) dependencies.item(i);
      if (groupId.equals(child(dependency, "groupId"))
          && artifactId.equals(child(dependency, "artifactId"))) {
        return child(dependency, "version");
      }
    }
    throw new AssertionError(groupId + ":" + artifactId + " is not managed in the parent");
  }

  private static String child(Element element, String name) {
    for (Node node = element.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node instanceof Element child && child.getTagName().equals(name)) {
        return child.getTextContent().strip();
      }
    }
    return null;
  }
}
