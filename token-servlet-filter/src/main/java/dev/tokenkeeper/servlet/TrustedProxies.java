package dev.tokenkeeper.servlet;

import dev.tokenkeeper.core.Client;
import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the client's address behind reverse proxies the deployment names, and only those.
 *
 * <p>{@code X-Forwarded-For} is written by whoever sent the request, so it is read only when the
 * direct peer is a trusted proxy, and then from the right: each trusted proxy appends the address
 * it saw, so the rightmost entry that is not a trusted proxy is the client. Anything a client put
 * further left is ignored. An entry that is not an IP literal stops the walk at the last trusted
 * hop, never resolving a name.
 *
 * <p>Immutable; thread-safe.
 */
final class TrustedProxies {

  static final TrustedProxies NONE = new TrustedProxies(Set.of());

  private final Set<String> proxies;

  private TrustedProxies(Set<String> proxies) {
    this.proxies = proxies;
  }

  /**
   * Proxies given as IP literals.
   *
   * @throws IllegalArgumentException if one is not an IPv4 or IPv6 literal
   */
  static TrustedProxies of(String... addresses) {
    Set<String> canonical = new HashSet<>();
    for (String address : addresses) {
      String parsed = canonical(address);
      if (parsed == null) {
        throw new IllegalArgumentException("trusted proxy must be an IP address: '" + address + "'");
      }
      canonical.add(parsed);
    }
    return new TrustedProxies(Collections.unmodifiableSet(canonical));
  }

  /** The client's address: the peer's, or, behind trusted proxies, the one they forwarded. */
  String clientAddress(HttpServletRequest request) {
    String peer = request.getRemoteAddr();
    if (proxies.isEmpty()) {
      return peer; // the default: no address parsing on the request path
    }
    String current = canonical(peer);
    if (current == null || !proxies.contains(current)) {
      return peer;
    }
    List<String> hops = new ArrayList<>();
    for (var headers = request.getHeaders("X-Forwarded-For"); headers.hasMoreElements(); ) {
      for (String hop : headers.nextElement().split(",", 64)) {
        hops.add(hop.strip());
      }
    }
    for (int i = hops.size() - 1; i >= 0; i--) {
      String hop = canonical(hops.get(i));
      if (hop == null) {
        return current;
      }
      current = hop;
      if (!proxies.contains(hop)) {
        return hop;
      }
    }
    return current;
  }

  /** The canonical text of an IP literal, or {@code null}; never a DNS lookup. */
  static String canonical(String address) {
    InetAddress parsed = Client.parseAddress(address);
    return parsed == null ? null : parsed.getHostAddress();
  }
}
