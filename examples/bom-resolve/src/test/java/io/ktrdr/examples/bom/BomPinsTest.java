package io.ktrdr.examples.bom;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * This module resolves what the BOM pins only if it depends on all of it: every artifact the BOM
 * manages itself (not through an imported BOM) is a dependency here, and nothing else is.
 */
class BomPinsTest {
  private static final Path ROOT =
      Path.of(System.getProperty("repository.root")).toAbsolutePath().normalize();

  @Test
  void everyArtifactTheBomPinsIsADependencyOfThisModule() throws Exception {
    List<String> pinned = new ArrayList<>();
    for (Element dependency :
        dependencies(ROOT.resolve("ktrdr-telemetry-bom/pom.xml"), "dependencyManagement")) {
      if (!"import".equals(child(dependency, "scope"))) {
        pinned.add(child(dependency, "groupId") + ":" + child(dependency, "artifactId"));
      }
    }
    List<String> resolved = new ArrayList<>();
    for (Element dependency :
        dependencies(ROOT.resolve("examples/bom-resolve/pom.xml"), "dependencies")) {
      if (child(dependency, "scope") == null) {
        resolved.add(child(dependency, "groupId") + ":" + child(dependency, "artifactId"));
      }
    }

    assertThat(pinned).contains("io.ktrdr:ktrdr-telemetry");
    assertThat(resolved).containsExactlyInAnyOrderElementsOf(pinned);
  }

  /** The {@code dependency} elements under the project's {@code section} (not under plugins). */
  private static List<Element> dependencies(Path pom, String section) throws Exception {
    Element project =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(pom.toFile())
            .getDocumentElement();
    Element parent = childElement(project, section);
    if (section.equals("dependencyManagement")) {
      parent = childElement(parent, "dependencies");
    }
    List<Element> found = new ArrayList<>();
    NodeList nodes = parent.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      if (nodes.item(i) instanceof Element element && element.getTagName().equals("dependency")) {
        found.add(element);
      }
    }
    return found;
  }

  private static Element childElement(Element element, String name) {
    for (Node node = element.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node instanceof Element child && child.getTagName().equals(name)) {
        return child;
      }
    }
    throw new AssertionError(element.getTagName() + " has no " + name);
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
