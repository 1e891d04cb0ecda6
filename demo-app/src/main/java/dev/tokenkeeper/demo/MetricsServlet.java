package dev.tokenkeeper.demo;

import dev.tokenkeeper.core.Client;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /metrics}: the meters in Prometheus text format, for a scraper on the same host.
 *
 * <p>Unless {@code --metrics-public}, only a caller whose connection comes from a loopback
 * address is answered, judged by the socket's own peer address, never by a forwarding header a
 * client can write. A request that carries a forwarding header was relayed by a proxy (a reverse
 * proxy on the same host connects from loopback too), so it is refused as well. Anyone else gets
 * the same JSON 404 as a path that does not exist: the endpoint's existence is not advertised.
 */
final class MetricsServlet extends JsonServlet {

  private static final long serialVersionUID = 1L;
  /** The Prometheus text exposition format, version 0.0.4. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

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
    return address != null && address.isLoopbackAddress()
        && request.getHeader("Forwarded") == null
        && request.getHeader("X-Forwarded-For") == null
        && request.getHeader("X-Real-IP") == null;
  }
}
