package dev.tokenkeeper.core;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * What a web adapter knows about the client presenting a token: its network address (as resolved
 * from trusted proxies only) and its {@code User-Agent}. Used for the optional client binding;
 * both parts may be {@code null} when unknown. Immutable.
 *
 * @param address the client's IP address literal, or {@code null}
 * @param userAgent the {@code User-Agent} header, or {@code null}
 */
public record Client(String address, String userAgent) {

  /** A client about which nothing is known: binding checks against it fail closed. */
  public static final Client UNKNOWN = new Client(null, null);

  /**
   * The address an IPv4 or IPv6 literal names, or {@code null} if {@code text} is not one. Never
   * resolves a host name: addresses from headers must not trigger DNS lookups.
   */
  public static InetAddress parseAddress(String text) {
    if (text == null || text.isEmpty() || text.length() > 45) {
      return null;
    }
    boolean ipv6 = text.indexOf(':') >= 0;
    int dots = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      dots += c == '.' ? 1 : 0;
      boolean ok = (c >= '0' && c <= '9') || c == '.'
          || (ipv6 && (c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
      if (!ok) {
        return null;
      }
    }
    if (!ipv6 && dots != 3) {
      return null;
    }
    try {
      // Only digits, dots, colons and hex remain, so this parses a literal and never looks up.
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
