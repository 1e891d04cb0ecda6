package dev.tokenkeeper.core;

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
}
