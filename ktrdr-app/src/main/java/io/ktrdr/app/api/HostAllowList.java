package io.ktrdr.app.api;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The hosts a worker URL may point at ({@code KTRDR_WORKER_ALLOWED_HOSTS}): host names matched
 * exactly, IP addresses and CIDR networks ({@code 10.0.0.0/8}) matched against every address the
 * host resolves to.
 */
public final class HostAllowList {
  private final List<String> names;
  private final List<Network> networks;
  private final String text;

  private record Network(byte[] address, int prefix) {
    boolean contains(InetAddress candidate) {
      byte[] bytes = candidate.getAddress();
      if (bytes.length != address.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (bytes[i] != address[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (bytes[full] & mask) == (address[full] & mask);
    }
  }

  private HostAllowList(List<String> names, List<Network> networks, String text) {
    this.names = List.copyOf(names);
    this.networks = List.copyOf(networks);
    this.text = text;
  }

  /** Parses a comma-separated list; throws {@link IllegalArgumentException} naming a bad entry. */
  public static HostAllowList parse(String list) {
    List<String> names = new ArrayList<>();
    List<Network> networks = new ArrayList<>();
    for (String raw : list.split(",")) {
      String entry = raw.strip().toLowerCase(Locale.ROOT);
      if (entry.isEmpty()) {
        continue;
      }
      if (entry.matches("[0-9.]+(/\\d{1,2})?") || entry.contains(":")) {
        networks.add(network(entry));
      } else if (entry.matches("[a-z0-9]([a-z0-9-]{0,62})(\\.[a-z0-9]([a-z0-9-]{0,62}))*")) {
        names.add(entry);
      } else {
        throw new IllegalArgumentException("not a host name, address or network: " + entry);
      }
    }
    if (names.isEmpty() && networks.isEmpty()) {
      throw new IllegalArgumentException("the list is empty");
    }
    return new HostAllowList(names, networks, list);
  }

  private static Network network(String entry) {
    int slash = entry.indexOf('/');
    String address = slash < 0 ? entry : entry.substring(0, slash);
    if (!address.matches("[0-9a-f.:]+")) {
      throw new IllegalArgumentException("not an IP address: " + address);
    }
    byte[] bytes;
    try {
      // A literal: no lookup happens.
      bytes = InetAddress.getByName(address).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + address);
    }
    int prefix = bytes.length * 8;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(entry.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad prefix length: " + entry);
      }
      if (prefix < 0 || prefix > bytes.length * 8) {
        throw new IllegalArgumentException("bad prefix length: " + entry);
      }
    }
    return new Network(bytes, prefix);
  }

  /** Whether {@code host} is named in the list, or all of {@code addresses} are in its networks. */
  public boolean allows(String host, InetAddress[] addresses) {
    if (names.contains(host.toLowerCase(Locale.ROOT))) {
      return true;
    }
    if (addresses.length == 0) {
      return false;
    }
    for (InetAddress address : addresses) {
      if (networks.stream().noneMatch(network -> network.contains(address))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return text;
  }
}
