package dev.tokenkeeper.core;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * What a token is bound to when client binding is on: the client's network (its address cut to a
 * prefix) and/or a digest of its {@code User-Agent}. Stored with the token's record; holds no
 * secret and not the full user agent. Immutable.
 *
 * @param network the bound network as {@code address/prefixBits}, or {@code null} if not bound
 * @param userAgentDigest 32 hex digits of the SHA-256 of the user agent, or {@code null}
 */
public record ClientBinding(String network, String userAgentDigest) {

  /** Bound when the client's address was unknown at issue: no network ever matches it. */
  private static final String UNMATCHABLE = "unknown";

  /** Bound when the policy binds the other address family only: any network matches. */
  private static final String ANY = "any";

  /** Longest text a stored binding part may have. */
  private static final int MAX_LENGTH = 64;

  public ClientBinding {
    if (network == null && userAgentDigest == null) {
      throw new IllegalArgumentException("a binding binds at least one of network, user agent");
    }
    if ((network != null && network.length() > MAX_LENGTH)
        || (userAgentDigest != null && userAgentDigest.length() > MAX_LENGTH)) {
      throw new IllegalArgumentException("binding parts are at most " + MAX_LENGTH + " chars");
    }
    if (hasUnpairedSurrogate(network) || hasUnpairedSurrogate(userAgentDigest)) {
      // No UTF-8 form: a store would read back another binding, which its client never matches.
      throw new IllegalArgumentException("binding parts must not contain unpaired surrogates");
    }
  }

  private static boolean hasUnpairedSurrogate(String part) {
    for (int i = 0; part != null && i < part.length(); i++) {
      char c = part.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < part.length()
          && Character.isLowSurrogate(part.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  /**
   * How tokens are bound at issue. Off by default, since mobile clients change networks and
   * proxies change addresses; see {@link TokenService.Builder#clientBinding(Policy)}.
   *
   * @param ipv4PrefixBits bits of an IPv4 address that must match (0 to 32; 0: not bound)
   * @param ipv6PrefixBits bits of an IPv6 address that must match (0 to 128; 0: not bound)
   * @param userAgent whether the {@code User-Agent} must match exactly
   */
  public record Policy(int ipv4PrefixBits, int ipv6PrefixBits, boolean userAgent) {

    public Policy {
      if (ipv4PrefixBits < 0 || ipv4PrefixBits > 32) {
        throw new IllegalArgumentException("ipv4PrefixBits must be 0 to 32: " + ipv4PrefixBits);
      }
      if (ipv6PrefixBits < 0 || ipv6PrefixBits > 128) {
        throw new IllegalArgumentException("ipv6PrefixBits must be 0 to 128: " + ipv6PrefixBits);
      }
      if (ipv4PrefixBits == 0 && ipv6PrefixBits == 0 && !userAgent) {
        throw new IllegalArgumentException("a policy binds to an address, a user agent or both");
      }
    }

    /** Binds to the exact address (/32, /128). */
    public static Policy exactAddress() {
      return new Policy(32, 128, false);
    }

    /** Binds to the user agent only. */
    public static Policy userAgentOnly() {
      return new Policy(0, 0, true);
    }

    /** This policy, also binding the user agent. */
    public Policy andUserAgent() {
      return new Policy(ipv4PrefixBits, ipv6PrefixBits, true);
    }

    /**
     * The binding for {@code client}. A part the policy asks for but the client lacks (no or
     * an unparsable address, no user agent) is bound to a value nothing matches: fail closed.
     */
    ClientBinding bind(Client client) {
      String network = null;
      if (ipv4PrefixBits != 0 || ipv6PrefixBits != 0) {
        String known = networkOf(client);
        network = known == null ? UNMATCHABLE : known;
      }
      String agent = userAgent ? digest(client.userAgent()) : null;
      return new ClientBinding(network, agent);
    }

    /** The client's network under this policy, or {@code null} if its address is unknown. */
    private String networkOf(Client client) {
      byte[] address = parseLiteral(client.address());
      if (address == null) {
        return null;
      }
      int bits = address.length == 4 ? ipv4PrefixBits : ipv6PrefixBits;
      return bits == 0 ? ANY : network(address, bits);
    }
  }

  /**
   * Whether {@code client} matches this binding. The network is compared at the prefix length it
   * was bound with (written in it), so a binding holds whatever the service's policy is now.
   */
  boolean matches(Client client) {
    boolean networkOk = network == null || network.equals(ANY) || networkMatches(client);
    boolean agentOk = userAgentDigest == null
        || constantTimeEquals(userAgentDigest, digest(client.userAgent()));
    return networkOk & agentOk;
  }

  private boolean networkMatches(Client client) {
    int slash = network.lastIndexOf('/');
    byte[] address = parseLiteral(client.address());
    if (slash < 0 || address == null) {
      return false;
    }
    int bits;
    try {
      bits = Integer.parseInt(network, slash + 1, network.length(), 10);
    } catch (NumberFormatException e) {
      return false;
    }
    if (bits < 1 || bits > address.length * 8) {
      return false;
    }
    return constantTimeEquals(network, network(address, bits));
  }

  /** {@code address} cut to its first {@code bits} bits, as {@code address/bits}. */
  private static String network(byte[] address, int bits) {
    for (int i = 0; i < address.length; i++) {
      int keep = Math.max(0, Math.min(8, bits - i * 8));
      address[i] &= (byte) (0xff << (8 - keep));
    }
    try {
      return InetAddress.getByAddress(address).getHostAddress() + "/" + bits;
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always an address", e);
    }
  }

  /** The bytes of an IP literal, or {@code null}; never resolves a host name (no DNS). */
  static byte[] parseLiteral(String address) {
    InetAddress parsed = Client.parseAddress(address);
    return parsed == null ? null : parsed.getAddress();
  }

  private static String digest(String userAgent) {
    if (userAgent == null) {
      return "none";
    }
    return HexFormat.of().formatHex(TokenHash.sha256(userAgent).bytes(), 0, 16);
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
