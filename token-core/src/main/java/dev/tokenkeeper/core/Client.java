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
   * resolves a host name, nor hands the text to anything that might: addresses from headers must
   * not trigger DNS lookups. IPv4 is strict dotted decimal (no leading zeros); IPv6 has no zone id;
   * an IPv4-mapped IPv6 address comes back as its IPv4 address.
   */
  public static InetAddress parseAddress(String text) {
    byte[] bytes = IpLiteral.parse(text);
    if (bytes == null) {
      return null;
    }
    try {
      return InetAddress.getByAddress(bytes); // only wraps the bytes; never looks anything up
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always an address", e);
    }
  }
}
