package dev.tokenkeeper.core;

/**
 * Parses IPv4 and IPv6 address literals into their bytes with no help from
 * {@link java.net.InetAddress}: text taken from request headers must never reach the system
 * resolver, and {@code InetAddress.getByName} resolves whatever it does not recognise as a
 * literal (such as {@code 999.1.1.1}).
 *
 * <p>IPv4 is strict dotted decimal: four parts of 1 to 3 digits, each at most 255, without
 * leading zeros (which some parsers read as octal). IPv6 is RFC 4291 text: up to eight groups of 1
 * to 4 hex digits, at most one {@code ::}, optionally ending in dotted IPv4; no zone id.
 *
 * <p>Stateless; thread-safe.
 */
final class IpLiteral {

  /** The longest IPv6 text: eight groups of four plus seven colons, or a mapped IPv4 form. */
  static final int MAX_LENGTH = 45;

  private IpLiteral() {}

  /** The 4 or 16 bytes {@code text} names, or {@code null} if it is not a literal. */
  static byte[] parse(String text) {
    if (text == null || text.isEmpty() || text.length() > MAX_LENGTH) {
      return null;
    }
    return text.indexOf(':') >= 0 ? parseIpv6(text) : parseIpv4(text, 0, text.length());
  }

  private static byte[] parseIpv4(String text, int from, int to) {
    byte[] bytes = new byte[4];
    int part = 0;
    int start = from;
    for (int i = from; i <= to; i++) {
      if (i < to && text.charAt(i) != '.') {
        continue;
      }
      int value = decimalPart(text, start, i);
      if (value < 0 || part == 4) {
        return null;
      }
      bytes[part++] = (byte) value;
      start = i + 1;
    }
    return part == 4 ? bytes : null;
  }

  /** The value of the digits in {@code [from, to)}, or -1 unless they form 0 to 255. */
  private static int decimalPart(String text, int from, int to) {
    int length = to - from;
    if (length < 1 || length > 3 || (length > 1 && text.charAt(from) == '0')) {
      return -1;
    }
    int value = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value <= 255 ? value : -1;
  }

  private static byte[] parseIpv6(String text) {
    byte[] bytes = new byte[16];
    int filled = 0;
    int gap = -1;
    int i = 0;
    int end = text.length();
    if (text.startsWith("::")) {
      gap = 0;
      i = 2;
      if (i == end) {
        return bytes;
      }
    } else if (text.charAt(0) == ':') {
      return null;
    }
    while (i < end) {
      int groupEnd = i;
      while (groupEnd < end && text.charAt(groupEnd) != ':') {
        groupEnd++;
      }
      if (groupEnd == end && text.indexOf('.', i) >= 0) {
        byte[] ipv4 = parseIpv4(text, i, end);
        if (ipv4 == null || filled > 12) {
          return null;
        }
        System.arraycopy(ipv4, 0, bytes, filled, 4);
        filled += 4;
        break;
      }
      int group = hexGroup(text, i, groupEnd);
      if (group < 0 || filled > 14) {
        return null;
      }
      bytes[filled++] = (byte) (group >>> 8);
      bytes[filled++] = (byte) group;
      if (groupEnd == end) {
        break;
      }
      i = groupEnd + 1;
      if (i < end && text.charAt(i) == ':') {
        if (gap >= 0) {
          return null;
        }
        gap = filled;
        i++;
      } else if (i == end) {
        return null; // a single trailing colon
      }
    }
    if (gap < 0) {
      return filled == 16 ? bytes : null;
    }
    if (filled == 16) {
      return null; // "::" must stand for at least one group
    }
    int moved = filled - gap;
    System.arraycopy(bytes, gap, bytes, 16 - moved, moved);
    java.util.Arrays.fill(bytes, gap, 16 - moved, (byte) 0);
    return bytes;
  }

  /** The value of 1 to 4 hex digits in {@code [from, to)}, or -1. */
  private static int hexGroup(String text, int from, int to) {
    if (to - from < 1 || to - from > 4) {
      return -1;
    }
    int value = 0;
    for (int i = from; i < to; i++) {
      int digit = Character.digit(text.charAt(i), 16);
      if (digit < 0 || text.charAt(i) > 'f') {
        return -1;
      }
      value = value * 16 + digit;
    }
    return value;
  }
}
