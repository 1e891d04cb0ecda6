package dev.tokenkeeper.demo;

import dev.tokenkeeper.core.Client;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Locale;
import java.util.Set;

/**
 * {@code GET /metrics}: the meters in Prometheus text format, for a scraper on the same host.
 *
 * <p>Unless {@code --metrics-public}, only a caller whose connection comes from a loopback
 * address is answered, judged by the socket's own peer address, never by a forwarding header a
 * client can write. A request that carries any header a proxy adds ({@code Forwarded},
 * {@code Via}, any {@code X-Forwarded-*}, a client-address header) was relayed (a reverse proxy on
 * the same host connects from loopback too), so it is refused as well. A proxy on this host that
 * adds none would pass its clients through: it must set {@code X-Forwarded-For}, as
 * {@code --trusted-proxy} needs anyway. Anyone else gets
 * the same JSON 404 as a path that does not exist: the endpoint's existence is not advertised.
 */
final class MetricsServlet extends JsonServlet {

  private static final long serialVersionUID = 1L;
  /** The Prometheus text exposition format, version 0.0.4. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** Headers a proxy or CDN adds, besides every {@code X-Forwarded-*}; lower case. */
  private static final Set<String> RELAY_HEADERS = Set.of("forwarded", "via", "x-real-ip",
      "x-client-ip", "true-client-ip", "cf-connecting-ip", "fastly-client-ip",
      "x-cluster-client-ip");

  private final transient PrometheusMeterRegistry registry;
  private final boolean open;

  MetricsServlet(PrometheusMeterRegistry registry, boolean open) {
    this.registry = registry;
    this.open = open;
  }

  @Override
  void route(String method, String path, HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    if (!path.isEmpty() || !(open || fromThisHost(request))) {
      throw noRoute();
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      throw methodNotAllowed(response, "GET");
    }
    byte[] page = registry.scrape().getBytes(StandardCharsets.UTF_8);
    response.setHeader("Cache-Control", "no-store");
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setStatus(200);
    response.setContentType(CONTENT_TYPE);
    response.setContentLength(page.length);
    if (method.equals("GET")) {
      response.getOutputStream().write(page);
    }
  }

  /** Whether the connection's peer is loopback and no proxy relayed the request. */
  private static boolean fromThisHost(HttpServletRequest request) {
    String peer = request.getRemoteAddr();
    if (peer != null && peer.startsWith("[") && peer.endsWith("]")) {
      peer = peer.substring(1, peer.length() - 1);
    }
    InetAddress address = Client.parseAddress(peer);
    return address != null && address.isLoopbackAddress() && !relayed(request);
  }

  /**
   * Whether any header a proxy adds is present. A proxy on this host may add only some of them
   * ({@code X-Forwarded-Proto} alone, or {@code Via}), and a scraper sends none.
   */
  private static boolean relayed(HttpServletRequest request) {
    for (String name : Collections.list(request.getHeaderNames())) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.startsWith("x-forwarded-") || RELAY_HEADERS.contains(lower)) {
        return true;
      }
    }
    return false;
  }
}
