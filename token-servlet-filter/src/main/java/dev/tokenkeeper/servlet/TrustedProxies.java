package dev.tokenkeeper.servlet;

import dev.tokenkeeper.core.Client;
import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Finds the client's address behind reverse proxies the deployment names, and only those.
 *
 * <p>A forwarding header is written by whoever sent the request, so it is read only when the
 * direct peer is a trusted proxy, and then from the right: each trusted proxy appends the address
 * it saw, so the rightmost entry that is not a trusted proxy is the client. Anything a client put
 * further left is ignored. The list is walked to its end however long it is (the container's
 * header size limit bounds it). An entry that is not an address (a name, {@code unknown}, an
 * obfuscated RFC 7239 identifier) stops the walk at the last trusted hop, never resolving a name.
 *
 * <p>Entries are read as proxies write them: {@code 203.0.113.7}, {@code 203.0.113.7:51234},
 * {@code 2001:db8::7}, {@code [2001:db8::7]}, {@code [2001:db8::7]:443}, each optionally quoted;
 * in {@code Forwarded} (RFC 7239) the {@code for=} parameter of each element.
 *
 * <p>Immutable; thread-safe.
 */
final class TrustedProxies {

  /** The header read by default. */
  static final String X_FORWARDED_FOR = "X-Forwarded-For";
  /** RFC 7239's header. */
  static final String FORWARDED = "Forwarded";

  static final TrustedProxies NONE = new TrustedProxies(List.of(), X_FORWARDED_FOR);

  private final List<Network> proxies;
  private final String header;

  private TrustedProxies(List<Network> proxies, String header) {
    this.proxies = proxies;
    this.header = header;
  }

  /**
   * Proxies given as IP literals or CIDR blocks ({@code 10.0.0.0/8}, {@code fd00::/8}), whose
   * {@code header} (see {@link #header}) is believed.
   *
   * @throws IllegalArgumentException if an entry is neither, or the header is another
   */
  static TrustedProxies reading(String header, String... entries) {
    String chosen = header(header);
    List<Network> networks = new ArrayList<>();
    for (String entry : entries) {
      networks.add(Network.parse(entry));
    }
    return new TrustedProxies(List.copyOf(networks), chosen);
  }

  /** Proxies as {@link #reading} {@value #X_FORWARDED_FOR}. */
  static TrustedProxies of(String... entries) {
    return reading(X_FORWARDED_FOR, entries);
  }

  /**
   * The header's canonical name.
   *
   * @throws IllegalArgumentException unless it is {@value #X_FORWARDED_FOR} or {@value #FORWARDED}
   *     in any case
   */
  static String header(String name) {
    if (X_FORWARDED_FOR.equalsIgnoreCase(name)) {
      return X_FORWARDED_FOR;
    }
    if (FORWARDED.equalsIgnoreCase(name)) {
      return FORWARDED;
    }
    throw new IllegalArgumentException(
        "forwarded header must be X-Forwarded-For or Forwarded: '" + name + "'");
  }

  /** The client's address: the peer's, or, behind trusted proxies, the one they forwarded. */
  String clientAddress(HttpServletRequest request) {
    String peer = request.getRemoteAddr();
    if (proxies.isEmpty()) {
      return peer; // the default: no address parsing on the request path
    }
    InetAddress current = Client.parseAddress(stripBrackets(peer));
    if (current == null || !isTrusted(current)) {
      return peer;
    }
    List<String> hops = new ArrayList<>();
    for (var values = request.getHeaders(header); values.hasMoreElements(); ) {
      splitElements(values.nextElement(), hops);
    }
    for (int i = hops.size() - 1; i >= 0; i--) {
      String hop = FORWARDED.equals(header) ? forParameter(hops.get(i)) : hops.get(i);
      InetAddress parsed = hop == null ? null : Client.parseAddress(hostOf(hop));
      if (parsed == null) {
        break;
      }
      current = parsed;
      if (!isTrusted(parsed)) {
        break;
      }
    }
    return current.getHostAddress();
  }

  private boolean isTrusted(InetAddress address) {
    for (Network network : proxies) {
      if (network.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** Splits a header value at commas outside quoted strings. */
  static void splitElements(String value, List<String> into) {
    boolean quoted = false;
    int start = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"') {
        quoted = !quoted;
      } else if (c == '\\' && quoted) {
        i++;
      } else if (c == ',' && !quoted) {
        into.add(value.substring(start, i).strip());
        start = i + 1;
      }
    }
    into.add(value.substring(start).strip());
  }

  /** The value of the {@code for} parameter of one {@code Forwarded} element, or {@code null}. */
  static String forParameter(String element) {
    for (String pair : element.split(";")) {
      int equals = pair.indexOf('=');
      if (equals > 0 && pair.substring(0, equals).strip().toLowerCase(Locale.ROOT).equals("for")) {
        return pair.substring(equals + 1).strip();
      }
    }
    return null;
  }

  /**
   * The address part of a forwarded node: quotes, brackets and a port removed. What remains may
   * still be no address; the caller parses it.
   */
  static String hostOf(String node) {
    String text = node;
    if (text.length() >= 2 && text.startsWith("\"") && text.endsWith("\"")) {
      text = text.substring(1, text.length() - 1).strip();
    }
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0 || !isPortSuffix(text, close + 1)) {
        return "";
      }
      return text.substring(1, close);
    }
    int colon = text.indexOf(':');
    if (colon >= 0 && colon == text.lastIndexOf(':')) {
      return isPortSuffix(text, colon) ? text.substring(0, colon) : "";
    }
    return text;
  }

  /** Whether {@code text} from {@code from} is empty or {@code :} and a port, 0 to 65535. */
  private static boolean isPortSuffix(String text, int from) {
    if (from == text.length()) {
      return true;
    }
    int digits = text.length() - from - 1;
    if (text.charAt(from) != ':' || digits < 1 || digits > 5) {
      return false;
    }
    int port = 0;
    for (int i = from + 1; i < text.length(); i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return false;
      }
      port = port * 10 + (text.charAt(i) - '0');
    }
    return port <= 65535;
  }

  private static String stripBrackets(String address) {
    return address != null && address.startsWith("[") && address.endsWith("]")
        ? address.substring(1, address.length() - 1) : address;
  }

  /** An address block: an address and how many leading bits must match. Immutable. */
  private static final class Network {

    private final byte[] prefix;
    private final int bits;

    private Network(byte[] prefix, int bits) {
      this.prefix = prefix;
      this.bits = bits;
    }

    static Network parse(String entry) {
      int slash = entry == null ? -1 : entry.indexOf('/');
      String literal = slash < 0 ? entry : entry.substring(0, slash);
      InetAddress address = Client.parseAddress(literal);
      if (address == null) {
        throw new IllegalArgumentException(
            "trusted proxy must be an IP address or CIDR block: '" + entry + "'");
      }
      int max = address.getAddress().length * 8;
      int bits = max;
      if (slash >= 0) {
        String length = entry.substring(slash + 1);
        bits = length.matches("[0-9]{1,3}") ? Integer.parseInt(length) : -1;
        if (bits < 0 || bits > max) {
          throw new IllegalArgumentException(
              "trusted proxy prefix length must be 0 to " + max + ": '" + entry + "'");
        }
      }
      return new Network(address.getAddress(), bits);
    }

    boolean contains(InetAddress address) {
      byte[] bytes = address.getAddress();
      if (bytes.length != prefix.length) {
        return false;
      }
      int whole = bits / 8;
      for (int i = 0; i < whole; i++) {
        if (bytes[i] != prefix[i]) {
          return false;
        }
      }
      int rest = bits % 8;
      int mask = (0xff << (8 - rest)) & 0xff;
      return rest == 0 || (bytes[whole] & mask) == (prefix[whole] & mask);
    }
  }
}
