package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.Objects;

/**
 * What a {@link TokenStore} keeps for one token: the hash of its secret, its session, and when it
 * was revoked. A revoked record may stay as a tombstone, so a revoked token is told apart from one
 * never seen, until it would have expired or a store's compaction drops it; either way a revoked
 * token can never come back to life.
 *
 * <p>Immutable. Holds no secret.
 *
 * @param hash the digest of the token's secret, with its scheme version
 * @param session the session the token opens
 * @param revokedAt when the token was revoked (or, for a refresh token, rotated), or {@code null}
 *     while it is not
 * @param binding what the token is bound to when client binding is on, or {@code null}
 */
public record TokenRecord(
    TokenHash hash, Session session, Instant revokedAt, ClientBinding binding) {

  public TokenRecord {
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(session, "session");
  }

  /** A record without client binding. */
  public TokenRecord(TokenHash hash, Session session, Instant revokedAt) {
    this(hash, session, revokedAt, null);
  }

  /** A record for a freshly issued, unrevoked token without client binding. */
  public static TokenRecord of(TokenHash hash, Session session) {
    return new TokenRecord(hash, session, null, null);
  }

  /** Whether the token has been revoked. */
  public boolean isRevoked() {
    return revokedAt != null;
  }

  /** Whether the token still opens its session at {@code now}: not revoked and not expired. */
  public boolean isLiveAt(Instant now) {
    return revokedAt == null && !session.isExpiredAt(now);
  }

  /** This record revoked at {@code at}; a record already revoked keeps its first revocation. */
  public TokenRecord revokedAt(Instant at) {
    Objects.requireNonNull(at, "at");
    return isRevoked() ? this : new TokenRecord(hash, session, at, binding);
  }

  /** This record after a use; see {@link Session#touchedAt(Instant, Instant)}. */
  public TokenRecord touchedAt(Instant usedAt, Instant newExpiresAt) {
    Session touched = session.touchedAt(usedAt, newExpiresAt);
    return touched == session ? this : new TokenRecord(hash, touched, revokedAt, binding);
  }
}
