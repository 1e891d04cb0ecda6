package dev.tokenkeeper.servlet;

/**
 * Builds {@code WWW-Authenticate: Bearer} values (RFC 6750 section 3). The realm is written as an
 * HTTP quoted-string, with {@code "} and {@code \} escaped; {@code error} and
 * {@code error_description} come from constants in this package, which keep to the characters
 * RFC 6750 allows there (%x20-21 / %x23-5B / %x5D-7E), and are escaped all the same.
 */
final class Challenge {

  private Challenge() {}

  /** The challenge for a request without credentials: the realm and no error (section 3). */
  static String of(String realm) {
    return "Bearer realm=" + quote(realm);
  }

  /** The challenge for a refused request: the realm, the error code and its description. */
  static String of(String realm, String error, String description) {
    return of(realm) + ", error=" + quote(error) + ", error_description=" + quote(description);
  }

  /** {@code value} as a quoted-string (RFC 9110 section 5.6.4). */
  static String quote(String value) {
    StringBuilder quoted = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        quoted.append('\\');
      }
      quoted.append(c);
    }
    return quoted.append('"').toString();
  }
}
