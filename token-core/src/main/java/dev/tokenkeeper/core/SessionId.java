package dev.tokenkeeper.core;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;

/**
 * The public, non-secret name of one session (one device). Users list and revoke devices by it
 * without handling the device's token; knowing it grants nothing.
 *
 * <p>128 random bits, written as 22 base64url characters. Immutable.
 *
 * @param value the 22-character base64url form
 */
public record SessionId(String value) {

  private static final int LENGTH = 22;
  private static final int RANDOM_BYTES = 16;

  /** @throws IllegalArgumentException if {@code value} is not 22 base64url characters */
  public SessionId {
    Objects.requireNonNull(value, "value");
    if (!isWellFormed(value)) {
      throw new IllegalArgumentException("session id must be 22 base64url characters");
    }
  }

  /**
   * Parses untrusted text (a URL path segment, a stored field).
   *
   * @throws IllegalArgumentException if the text is not a well-formed session id
   */
  public static SessionId parse(String text) {
    return new SessionId(text);
  }

  /** Whether {@code text} has the form of a session id; never throws. */
  public static boolean isWellFormed(String text) {
    if (text == null || text.length() != LENGTH) {
      return false;
    }
    for (int i = 0; i < LENGTH; i++) {
      if (!TokenFormat.isBase64UrlChar(text.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  static SessionId random(SecureRandom random) {
    byte[] bytes = new byte[RANDOM_BYTES];
    random.nextBytes(bytes);
    return new SessionId(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
  }

  @Override
  public String toString() {
    return value;
  }
}
