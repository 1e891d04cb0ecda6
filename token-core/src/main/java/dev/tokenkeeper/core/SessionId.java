package dev.tokenkeeper.core;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;

/**
 * The public, non-secret name of one session (one device). Users list and revoke devices by it
 * without handling the device's token; knowing it grants nothing.
 *
 * <p>128 random bits, written as 22 base64url characters. Held as two longs rather than its text,
 * since a store keeps one per live token: the text is made when asked for. Immutable.
 */
public final class SessionId {

  private static final int LENGTH = 22;
  private static final int RANDOM_BYTES = 16;

  private final long high;
  private final long low;

  private SessionId(long high, long low) {
    this.high = high;
    this.low = low;
  }

  /**
   * Parses untrusted text (a URL path segment, a stored field).
   *
   * @throws NullPointerException if {@code text} is null
   * @throws IllegalArgumentException if the text is not a well-formed session id
   */
  public static SessionId parse(String text) {
    Objects.requireNonNull(text, "text");
    if (!isWellFormed(text)) {
      throw malformed();
    }
    ByteBuffer bytes = ByteBuffer.wrap(Base64.getUrlDecoder().decode(text));
    return new SessionId(bytes.getLong(), bytes.getLong());
  }

  /**
   * Reads a session id from the next 22 bytes of {@code ascii}, its text as a store writes it,
   * accepted exactly as {@link #parse} accepts that text; decoded in place, with nothing
   * allocated but the id, for a store replaying many.
   *
   * @throws BufferUnderflowException if fewer than 22 bytes remain
   * @throws IllegalArgumentException if the bytes are not a well-formed session id
   */
  public static SessionId read(ByteBuffer ascii) {
    if (ascii.remaining() < LENGTH) {
      // As reading the text whole does: bytes cut short are refused as such, whatever they hold.
      throw new BufferUnderflowException();
    }
    long high = 0;
    long low = 0;
    for (int i = 0; i < LENGTH - 1; i++) {
      int value = valueOf(ascii.get());
      high = (high << 6) | (low >>> 58);
      low = (low << 6) | value;
    }
    // 22 characters carry 132 bits for 128: the last gives its top two bits, its low four are 0.
    int last = valueOf(ascii.get());
    if ((last & 0xF) != 0) {
      throw malformed();
    }
    return new SessionId((high << 2) | (low >>> 62), (low << 2) | (last >>> 4));
  }

  private static int valueOf(byte character) {
    int value = TokenFormat.base64UrlValue(character);
    if (value < 0) {
      throw malformed();
    }
    return value;
  }

  private static IllegalArgumentException malformed() {
    return new IllegalArgumentException("session id must be 22 base64url characters");
  }

  /**
   * Whether {@code text} is the canonical text of a session id (so that each id has exactly one
   * spelling); never throws.
   */
  public static boolean isWellFormed(String text) {
    if (text == null || text.length() != LENGTH) {
      return false;
    }
    for (int i = 0; i < LENGTH; i++) {
      if (!TokenFormat.isBase64UrlChar(text.charAt(i))) {
        return false;
      }
    }
    // 22 characters carry 132 bits for 128: the last character's low 4 bits must be zero.
    return "AQgw".indexOf(text.charAt(LENGTH - 1)) >= 0;
  }

  /**
   * The id whose 16 bytes are {@code high} then {@code low}, big-endian: for a store that keeps
   * ids as two {@code long}s ({@link #high()}, {@link #low()}) rather than as objects.
   */
  public static SessionId of(long high, long low) {
    return new SessionId(high, low);
  }

  /** The first 8 of the id's 16 bytes, big-endian. */
  public long high() {
    return high;
  }

  /** The last 8 of the id's 16 bytes, big-endian. */
  public long low() {
    return low;
  }

  static SessionId random(SecureRandom random) {
    byte[] bytes = new byte[RANDOM_BYTES];
    random.nextBytes(bytes);
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    return new SessionId(buffer.getLong(), buffer.getLong());
  }

  /** The 22-character base64url text. */
  public String value() {
    byte[] bytes = ByteBuffer.allocate(RANDOM_BYTES).putLong(high).putLong(low).array();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SessionId other && high == other.high && low == other.low;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(high) * 31 + Long.hashCode(low);
  }

  /** The same as {@link #value()}: a session id is not secret. */
  @Override
  public String toString() {
    return value();
  }
}
