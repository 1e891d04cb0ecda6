package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.Objects;

/**
 * What a {@link TokenStore} keeps for one token: the hash of its secret, the session it opens,
 * and, for a refresh token that was rotated, when, with the pair that replaced it sealed for the
 * grace window. A token has no revoked state of its own: revoking its {@link SessionRecord} ends
 * it. A rotated token stays known (a tombstone) as long as its session, so presenting it again is
 * recognised as reuse, never mistaken for an unknown token.
 *
 * <p>Immutable. Holds no secret.
 *
 * @param hash the digest of the token's secret, with its scheme version
 * @param sessionId the session the token opens
 * @param expiresAt when the token stops working on its own (the short life of an access token in
 *     a pair), or {@code null} if it lives as long as its session
 * @param rotatedAt when the refresh token was rotated out, or {@code null} while it is current
 * @param successor the pair that replaced it, sealed under a key only its plaintext gives, kept
 *     for the grace window only; {@code null} if none
 */
public record TokenRecord(
    TokenHash hash,
    SessionId sessionId,
    Instant expiresAt,
    Instant rotatedAt,
    SealedSuccessor successor) {

  public TokenRecord {
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(sessionId, "sessionId");
    if (successor != null && rotatedAt == null) {
      throw new IllegalArgumentException("only a rotated token has a successor");
    }
  }

  /** A token that lives as long as its session. */
  public static TokenRecord of(TokenHash hash, SessionId sessionId) {
    return new TokenRecord(hash, sessionId, null, null, null);
  }

  /** A token that stops working at {@code expiresAt}, or with its session if that is sooner. */
  public static TokenRecord expiring(TokenHash hash, SessionId sessionId, Instant expiresAt) {
    return new TokenRecord(hash, sessionId, Objects.requireNonNull(expiresAt, "expiresAt"),
        null, null);
  }

  /** Whether the token was rotated out (a refresh token that was used). */
  public boolean isRotated() {
    return rotatedAt != null;
  }

  /** When the token stops working, given its session's record. */
  public Instant endsWith(SessionRecord session) {
    Instant sessionEnd = session.expiresAt();
    return expiresAt == null || sessionEnd.isBefore(expiresAt) ? sessionEnd : expiresAt;
  }

  /**
   * This token without its sealed successor once the grace window has passed at {@code now};
   * the same instance otherwise. Stores call it when they rotate, compact or purge.
   */
  public TokenRecord withoutSuccessorAt(Instant now) {
    if (successor == null || now.isBefore(successor.until())) {
      return this;
    }
    return new TokenRecord(hash, sessionId, expiresAt, rotatedAt, null);
  }

  /**
   * {@code tokens}, each {@linkplain #withoutSuccessorAt without its successor} at {@code now}:
   * the same array if none changed, else a new one.
   */
  public static TokenRecord[] withoutSuccessorsAt(TokenRecord[] tokens, Instant now) {
    TokenRecord[] kept = tokens;
    for (int i = 0; i < tokens.length; i++) {
      TokenRecord token = tokens[i].withoutSuccessorAt(now);
      if (token != tokens[i]) {
        kept = kept == tokens ? tokens.clone() : kept;
        kept[i] = token;
      }
    }
    return kept;
  }

  /** This token rotated out at {@code at}, its successor sealed beside it. */
  TokenRecord rotatedAt(Instant at, SealedSuccessor sealed) {
    return new TokenRecord(hash, sessionId, expiresAt, Objects.requireNonNull(at, "at"), sealed);
  }
}
