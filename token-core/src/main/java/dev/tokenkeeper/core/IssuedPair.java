package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.Objects;

/**
 * A short-lived access token and the refresh token that renews it, both for one session (one
 * device). Returned by {@link TokenService#issuePair} and {@link TokenService#refresh}.
 *
 * <p>Send both secrets to the client once; never log or store them. {@link #toString()} omits
 * them. Immutable.
 */
public final class IssuedPair {

  private final IssuedToken access;
  private final String refreshPlaintext;
  private final Instant refreshExpiresAt;

  IssuedPair(IssuedToken access, String refreshPlaintext, Instant refreshExpiresAt) {
    this.access = Objects.requireNonNull(access, "access");
    this.refreshPlaintext = Objects.requireNonNull(refreshPlaintext, "refreshPlaintext");
    this.refreshExpiresAt = Objects.requireNonNull(refreshExpiresAt, "refreshExpiresAt");
  }

  /** The access token, presented as {@code Authorization: Bearer} on each request. */
  public IssuedToken access() {
    return access;
  }

  /** The refresh token, presented only to renew the pair. Never log or store it. */
  public String refreshPlaintext() {
    return refreshPlaintext;
  }

  /** When the refresh token stops working (the session then needs a new login). */
  public Instant refreshExpiresAt() {
    return refreshExpiresAt;
  }

  /** The session both tokens belong to; its id stays the same across refreshes. */
  public Session session() {
    return access.session();
  }

  @Override
  public String toString() {
    return "IssuedPair[session=" + session().id() + ", subject=" + session().subject() + "]";
  }
}
