package dev.tokenkeeper.servlet;

import dev.tokenkeeper.core.Client;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The key a client address is limited under: an IPv4 address as it is, an IPv6 address by its
 * /64 network. One IPv6 subscriber usually holds a whole /64, so keying by full address would give
 * it 2^64 fresh buckets. Public, with {@link WindowLimiter}, for other HTTP adapters.
 *
 * <p>Stateless; thread-safe.
 */
public final class AddressGroup {

  private AddressGroup() {}

  /**
   * {@code address}'s limiter key: an IPv6 literal (bracketed or not) as its /64 network, any
   * other text (an IPv4 address) as it is; {@code null} stays {@code null}.
   */
  public static String of(String address) {
    if (address == null || address.indexOf(':') < 0) {
      return address; // IPv4, or unknown: no parsing on the common path
    }
    String literal = address.startsWith("[") && address.endsWith("]")
        ? address.substring(1, address.length() - 1) : address;
    InetAddress parsed = Client.parseAddress(literal);
    if (!(parsed instanceof Inet6Address)) {
      return parsed == null ? address : parsed.getHostAddress();
    }
    byte[] bytes = parsed.getAddress();
    StringBuilder key = new StringBuilder(24);
    for (int i = 0; i < 8; i += 2) {
      key.append(Integer.toHexString(((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff)))
          .append(':');
    }
    return key.append(":/64").toString();
  }
}
