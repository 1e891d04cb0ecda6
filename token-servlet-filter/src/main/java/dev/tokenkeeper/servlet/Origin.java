package dev.tokenkeeper.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * A web origin (RFC 6454): scheme, host and port, compared as browsers compare them. Only
 * {@code http} and {@code https} are origins here; the port is explicit even when it is the
 * scheme's default, so {@code https://a.example} and {@code https://a.example:443} are equal.
 *
 * <p>Immutable.
 *
 * @param scheme {@code http} or {@code https}
 * @param host the host in lower case, IPv6 literals without brackets
 * @param port the port, the scheme's default when none was written
 */
record Origin(String scheme, String host, int port) {

  Origin {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(host, "host");
  }

  /**
   * Parses an origin as the {@code Origin} header serialises it ({@code https://app.example},
   * {@code http://127.0.0.1:8080}, {@code http://[::1]:8080}): a scheme, a host, a port, and
   * nothing else.
   *
   * @return the origin, or {@code null} for anything else, including {@code "null"} (the opaque
   *     origin a sandboxed or file page sends) and text with a path, query or user information
   */
  static Origin parse(String text) {
    if (text == null || text.isEmpty() || text.length() > 512) {
      return null;
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      return null;
    }
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      return null;
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
        || uri.getRawFragment() != null || !uri.getRawPath().isEmpty()) {
      return null;
    }
    int port = uri.getPort() < 0 ? defaultPort(scheme) : uri.getPort();
    return new Origin(scheme, normaliseHost(uri.getHost()), port);
  }

  /**
   * The origin {@code request} was sent to: its scheme, and the host and port it names
   * ({@code Host}, as the container reads it).
   */
  static Origin of(HttpServletRequest request) {
    String scheme = request.getScheme().toLowerCase(Locale.ROOT);
    return new Origin(scheme, normaliseHost(request.getServerName()), request.getServerPort());
  }

  private static int defaultPort(String scheme) {
    return scheme.equals("https") ? 443 : 80;
  }

  private static String normaliseHost(String host) {
    String bare = host.startsWith("[") && host.endsWith("]")
        ? host.substring(1, host.length() - 1) : host;
    return bare.toLowerCase(Locale.ROOT);
  }

  /** As the {@code Origin} header writes it, the default port left out. */
  @Override
  public String toString() {
    String shownHost = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return scheme + "://" + shownHost + (port == defaultPort(scheme) ? "" : ":" + port);
  }
}
