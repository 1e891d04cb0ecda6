package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One refresh, as a compare-and-set a {@link TokenStore} applies atomically in
 * {@link TokenStore#rotate}: if the session is not revoked, its current refresh token is
 * {@link #expectedCurrent()} and the token {@link #rotated()} has not been rotated yet, then the
 * rotated token becomes a tombstone holding the sealed new pair, the new tokens are stored, and
 * the session's current refresh token, last use and expiry move on; otherwise nothing changes.
 * So a session has exactly one live refresh token at any moment, and a logout acknowledged before
 * the rotation lands makes it fail. A session already expired at {@link #at()} is not renewed.
 * Applying a rotation also drops the sealed successors of the session's earlier tombstones whose
 * window has passed ({@link TokenRecord#withoutSuccessorAt}), so an old rotated token and a copy
 * of the store cannot walk the chain to its current token.
 *
 * <p>A store writes the new tokens before the tombstone and the tombstone before the session, so
 * a lock-free reader never meets a successor it cannot find.
 *
 * <p>The conditions and the new records are decided here, in core; a store only makes the check
 * and the writes one atomic step (a lock, a script, a conditional {@code UPDATE}) and persists it.
 *
 * <p>Immutable. Holds no secret.
 *
 * @param sessionId the session being renewed
 * @param expectedCurrent the session's current refresh hash as read before the rotation; equal to
 *     {@code rotated} except for a session upgraded from a store that did not record it
 *     ({@code null} then)
 * @param rotated the refresh token presented
 * @param at when it is rotated out
 * @param successor the new pair sealed beside the rotated token, or {@code null} when no grace
 *     window allows a retry
 * @param refresh the new refresh token
 * @param access the new access token
 * @param expiresAt the session's new expiry (never earlier than it was)
 */
public record Rotation(
    SessionId sessionId,
    TokenHash expectedCurrent,
    TokenHash rotated,
    Instant at,
    SealedSuccessor successor,
    TokenRecord refresh,
    TokenRecord access,
    Instant expiresAt) {

  public Rotation {
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(rotated, "rotated");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(refresh, "refresh");
    Objects.requireNonNull(access, "access");
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (!refresh.sessionId().equals(sessionId) || !access.sessionId().equals(sessionId)) {
      throw new IllegalArgumentException("new tokens must belong to session " + sessionId);
    }
  }

  /**
   * Whether the rotation applies to the stored {@code session} and {@code presented} token: the
   * compare half of the compare-and-set.
   */
  public boolean appliesTo(SessionRecord session, TokenRecord presented) {
    return session.id().equals(sessionId)
        && !session.isRevoked()
        && !session.session().isExpiredAt(at)
        && Objects.equals(session.refreshHash(), expectedCurrent)
        && presented.hash().equals(rotated)
        && presented.sessionId().equals(sessionId)
        && !presented.isRotated();
  }

  /** The session after the rotation. */
  public SessionRecord applyTo(SessionRecord session) {
    return session.rotatedTo(refresh.hash(), at, expiresAt);
  }

  /** The presented token after the rotation: a tombstone with the sealed pair. */
  public TokenRecord applyTo(TokenRecord presented) {
    return presented.rotatedAt(at, successor);
  }

  /**
   * A session's tokens after the rotation, for a store that keeps them together: each without a
   * successor past its window at the rotation's instant, {@code tokens[presented]} rotated out,
   * and the added tokens last.
   */
  public TokenRecord[] applyTo(TokenRecord[] tokens, int presented) {
    List<TokenRecord> added = added();
    TokenRecord[] next =
        Arrays.copyOf(TokenRecord.withoutSuccessorsAt(tokens, at), tokens.length + added.size());
    next[presented] = applyTo(tokens[presented]);
    for (int i = 0; i < added.size(); i++) {
      next[tokens.length + i] = added.get(i);
    }
    return next;
  }

  /** The tokens the rotation adds. */
  public List<TokenRecord> added() {
    return List.of(refresh, access);
  }
}
