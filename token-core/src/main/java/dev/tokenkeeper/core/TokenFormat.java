package dev.tokenkeeper.core;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.zip.CRC32;

/**
 * The text form of a token secret: a prefix naming its kind, 43 base64url characters carrying 256
 * random bits, and a 6-character base62 CRC32 of everything before it: 52 or 53 characters in all.
 * As with GitHub's {@code ghp_}/{@code ghr_}, the prefix keeps the kinds apart: a refresh token is
 * malformed where an access token is expected, and the other way round.
 *
 * <p>The fixed prefix lets secret scanners find a leaked token; the checksum (as in GitHub's token
 * format) lets a mistyped or made-up token be refused without a store lookup. The checksum is not a
 * security boundary: the 256 random bits are. Every character is in RFC 6750's b64token alphabet.
 */
final class TokenFormat {

  /** The kinds of token, told apart by prefix. */
  enum Kind {
    /** A token issued alone: it is the session, and slides with use under an idle timeout. */
    ACCESS("tk_"),
    /** The short-lived access token of a pair: a fixed lifetime, renewed by refresh. */
    PAIRED_ACCESS("tka_"),
    /** The refresh token of a pair. */
    REFRESH("tkr_");

    final String prefix;
    final int length;

    Kind(String prefix) {
      this.prefix = prefix;
      this.length = prefix.length() + BODY_LENGTH + CHECKSUM_LENGTH;
    }
  }

  static final String PREFIX = Kind.ACCESS.prefix;
  static final int RANDOM_BYTES = 32;
  static final int BODY_LENGTH = 43;
  static final int CHECKSUM_LENGTH = 6;
  static final int LENGTH = Kind.ACCESS.length;

  private static final char[] BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

  /**
   * Each base64url character's value, by its code; -1 for every other code below 256. Indexed by
   * a byte's unsigned value, one load a character with no test of its sign: half the time of a
   * check that tests it first.
   */
  private static final byte[] BASE64URL = new byte[256];

  /** Each base-62 digit's value, by its code; -1 for every other code below 256. */
  private static final byte[] BASE62_VALUE = new byte[256];

  static {
    java.util.Arrays.fill(BASE62_VALUE, (byte) -1);
    for (int i = 0; i < BASE62.length; i++) {
      BASE62_VALUE[BASE62[i]] = (byte) i;
    }
    java.util.Arrays.fill(BASE64URL, (byte) -1);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < alphabet.length(); i++) {
      BASE64URL[alphabet.charAt(i)] = (byte) i;
    }
  }

  private TokenFormat() {}

  static String generate(SecureRandom random) {
    return generate(Kind.ACCESS, random);
  }

  static String generate(Kind kind, SecureRandom random) {
    byte[] bytes = new byte[RANDOM_BYTES];
    random.nextBytes(bytes);
    String head = kind.prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    return head + checksum(head);
  }

  /**
   * Whether {@code presented} has the exact form of a token: prefix, length, alphabet and checksum.
   * Runs in time linear in a bounded length and never throws.
   */
  static boolean isWellFormed(CharSequence presented) {
    return isWellFormed(presented, Kind.ACCESS);
  }

  /** Whether {@code presented} is a well-formed token of {@code kind}; never throws. */
  static boolean isWellFormed(CharSequence presented, Kind kind) {
    return presented != null && presented.length() == kind.length
        && isWellFormed(bytesOf(presented), kind);
  }

  /**
   * The characters of {@code presented} as one byte each, if it is as long as a token of some
   * kind or a legacy one; else null. One bulk copy, which every check of its form
   * ({@link #isWellFormed(byte[], Kind)}) and its hash ({@link TokenHash#sha256OfAscii}) then
   * read: a character outside ISO-8859-1 becomes '?', and one above ASCII a negative byte,
   * neither of which any position of a token admits.
   */
  static byte[] bytesOf(CharSequence presented) {
    if (presented == null) {
      return null;
    }
    int length = presented.length();
    if (length != Kind.ACCESS.length && length != Kind.PAIRED_ACCESS.length
        && length != Kind.REFRESH.length && length != BODY_LENGTH) {
      return null;
    }
    return presented.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Whether {@code bytes}, from {@link #bytesOf}, are a well-formed token of {@code kind}; never
   * throws.
   */
  static boolean isWellFormed(byte[] bytes, Kind kind) {
    String prefix = kind.prefix;
    if (bytes == null || bytes.length != kind.length) {
      return false; // also a CharSequence whose text is not as long as it said
    }
    for (int i = 0; i < prefix.length(); i++) {
      if (bytes[i] != prefix.charAt(i)) {
        return false;
      }
    }
    int bodyEnd = prefix.length() + BODY_LENGTH;
    // Without a branch a character: any -1 (not in the alphabet) leaves the OR of them negative.
    int values = 0;
    for (int i = prefix.length(); i < bodyEnd; i++) {
      values |= BASE64URL[bytes[i] & 0xFF];
    }
    if (values < 0) {
      return false;
    }
    // 43 base64url characters carry 258 bits; the last character's low 2 bits must be zero for the
    // text to be the canonical encoding of 32 bytes, so one secret has exactly one spelling.
    if ((BASE64URL[bytes[bodyEnd - 1] & 0xFF] & 0b11) != 0) {
      return false;
    }
    // Six base-62 digits spell each value below 62^6 (over 2^32) one way only, so reading the
    // presented digits as a number and comparing it with the CRC checks their spelling exactly.
    long presented = 0;
    for (int i = bodyEnd; i < bodyEnd + CHECKSUM_LENGTH; i++) {
      int digit = BASE62_VALUE[bytes[i] & 0xFF];
      if (digit < 0) {
        return false;
      }
      presented = presented * 62 + digit;
    }
    return presented == crc(bytes, bodyEnd);
  }

  /**
   * Whether {@code presented} has the form of the origin system's tokens
   * ({@code secrets.token_urlsafe(32)}: 43 base64url characters, no prefix, no checksum), which
   * {@code FileTokenStore} can import by hash so their users stay logged in.
   */
  static boolean isLegacy(CharSequence presented) {
    if (presented == null || presented.length() != BODY_LENGTH) {
      return false;
    }
    for (int i = 0; i < BODY_LENGTH; i++) {
      if (!isBase64UrlChar(presented.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** The value of base64url character {@code b} (a byte of ASCII text), or -1 if it is none. */
  static int base64UrlValue(byte b) {
    return BASE64URL[b & 0xFF];
  }

  static boolean isBase64UrlChar(char c) {
    return c < BASE64URL.length && BASE64URL[c] >= 0;
  }

  static String checksum(String head) {
    byte[] ascii = head.getBytes(StandardCharsets.US_ASCII);
    long value = crc(ascii, ascii.length);
    char[] out = new char[CHECKSUM_LENGTH];
    for (int i = CHECKSUM_LENGTH - 1; i >= 0; i--) {
      out[i] = BASE62[(int) (value % 62)];
      value /= 62;
    }
    return new String(out);
  }

  /** The CRC32 of the first {@code length} bytes of {@code bytes}. */
  private static long crc(byte[] bytes, int length) {
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, length);
    return crc.getValue();
  }
}
