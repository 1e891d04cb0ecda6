package dev.tokenkeeper.core;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.zip.CRC32;

/**
 * The text form of a token secret: {@code tk_}, 43 base64url characters carrying 256 random bits,
 * and a 6-character base62 CRC32 of everything before it, 52 characters in all.
 *
 * <p>The fixed prefix lets secret scanners find a leaked token; the checksum (as in GitHub's token
 * format) lets a mistyped or made-up token be refused without a store lookup. The checksum is not a
 * security boundary: the 256 random bits are. Every character is in RFC 6750's b64token alphabet.
 */
final class TokenFormat {

  static final String PREFIX = "tk_";
  static final int RANDOM_BYTES = 32;
  static final int BODY_LENGTH = 43;
  static final int CHECKSUM_LENGTH = 6;
  static final int LENGTH = PREFIX.length() + BODY_LENGTH + CHECKSUM_LENGTH;

  private static final char[] BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

  private TokenFormat() {}

  static String generate(SecureRandom random) {
    byte[] bytes = new byte[RANDOM_BYTES];
    random.nextBytes(bytes);
    String head = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    return head + checksum(head);
  }

  /**
   * Whether {@code presented} has the exact form of a token: prefix, length, alphabet and checksum.
   * Runs in time linear in a bounded length and never throws.
   */
  static boolean isWellFormed(CharSequence presented) {
    if (presented == null || presented.length() != LENGTH) {
      return false;
    }
    for (int i = 0; i < PREFIX.length(); i++) {
      if (presented.charAt(i) != PREFIX.charAt(i)) {
        return false;
      }
    }
    int bodyEnd = PREFIX.length() + BODY_LENGTH;
    for (int i = PREFIX.length(); i < bodyEnd; i++) {
      if (!isBase64UrlChar(presented.charAt(i))) {
        return false;
      }
    }
    // 43 base64url characters carry 258 bits; the last character's low 2 bits must be zero for the
    // text to be the canonical encoding of 32 bytes, so one secret has exactly one spelling.
    if ((base64UrlValue(presented.charAt(bodyEnd - 1)) & 0b11) != 0) {
      return false;
    }
    String expected = checksum(presented.subSequence(0, bodyEnd).toString());
    for (int i = 0; i < CHECKSUM_LENGTH; i++) {
      if (presented.charAt(bodyEnd + i) != expected.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  static boolean isBase64UrlChar(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '-' || c == '_';
  }

  private static int base64UrlValue(char c) {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    }
    return c == '-' ? 62 : 63;
  }

  static String checksum(String head) {
    CRC32 crc = new CRC32();
    crc.update(head.getBytes(StandardCharsets.US_ASCII));
    long value = crc.getValue();
    char[] out = new char[CHECKSUM_LENGTH];
    for (int i = CHECKSUM_LENGTH - 1; i >= 0; i--) {
      out[i] = BASE62[(int) (value % 62)];
      value /= 62;
    }
    return new String(out);
  }
}
