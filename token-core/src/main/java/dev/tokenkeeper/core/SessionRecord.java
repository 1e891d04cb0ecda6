package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.Objects;

/**
 * What a {@link TokenStore} keeps for one session (one login on one device): the session itself,
 * what it is bound to, the one refresh token that may renew it now, and when it was revoked. A
 * session's tokens ({@link TokenRecord}) reference it by id, so "this session is over" is one
 * fact, written once: from then on every token of the session is refused, including one minted by
 * a refresh that raced the logout.
 *
 * <p>The rules for changing a session live here, and every store applies them through these
 * methods inside its own atomic step: a revoke is final ({@link #revokedAt}), a use only moves
 * times forward and never touches a revoked session ({@link #touchedAt}), and a rotation happens
 * only to a live session whose current refresh token is the one expected ({@link Rotation}).
 *
 * <p>Immutable. Holds no secret: the refresh token is known by its hash only.
 *
 * @param session the session as its owner sees it; its {@code expiresAt} is when the session ends
 *     as currently known (it slides with use under an idle timeout, never past the absolute
 *     lifetime)
 * @param binding what the session's tokens are bound to when client binding is on, or {@code null}
 * @param refreshHash the hash of the one refresh token that may renew the session now, or
 *     {@code null} for a session opened by a token issued alone (or one upgraded from a store that
 *     did not record it)
 * @param revokedAt when the session was revoked, or {@code null} while it is not
 */
public record SessionRecord(
    Session session, ClientBinding binding, TokenHash refreshHash, Instant revokedAt) {

  public SessionRecord {
    Objects.requireNonNull(session, "session");
  }

  /** A new, unrevoked session. */
  public static SessionRecord of(Session session, ClientBinding binding, TokenHash refreshHash) {
    return new SessionRecord(session, binding, refreshHash, null);
  }

  /** The session's public id. */
  public SessionId id() {
    return session.id();
  }

  /** The user the session belongs to. */
  public String subject() {
    return session.subject();
  }

  /** When the session ends as currently known; see {@link Session#expiresAt()}. */
  public Instant expiresAt() {
    return session.expiresAt();
  }

  /** Whether the session has been revoked. */
  public boolean isRevoked() {
    return revokedAt != null;
  }

  /** Whether the session still opens at {@code now}: not revoked and not expired. */
  public boolean isLiveAt(Instant now) {
    return revokedAt == null && !session.isExpiredAt(now);
  }

  /**
   * Whether a store may forget the session and every token of it at {@code now}: once it has
   * expired, revoked or not. Until then its revoked and rotated tokens stay known, so a replay is
   * told apart from a token never seen.
   */
  public boolean isPurgeableAt(Instant now) {
    return session.isExpiredAt(now);
  }

  /** This session revoked at {@code at}; one already revoked keeps its first revocation. */
  public SessionRecord revokedAt(Instant at) {
    Objects.requireNonNull(at, "at");
    return isRevoked() ? this : new SessionRecord(session, binding, refreshHash, at);
  }

  /**
   * This session after a use at {@code usedAt} that may extend it to {@code newExpiresAt}: both
   * only move forward, and a revoked session is left as it is (a revoke wins over a racing use).
   * Returns this same instance when nothing changes.
   */
  public SessionRecord touchedAt(Instant usedAt, Instant newExpiresAt) {
    if (isRevoked()) {
      return this;
    }
    Session touched = session.touchedAt(usedAt, newExpiresAt);
    return touched == session ? this : new SessionRecord(touched, binding, refreshHash, null);
  }

  /** This session renewed by a refresh: a new current refresh token, used and extended. */
  SessionRecord rotatedTo(TokenHash nextRefresh, Instant usedAt, Instant newExpiresAt) {
    Objects.requireNonNull(nextRefresh, "nextRefresh");
    return new SessionRecord(
        session.touchedAt(usedAt, newExpiresAt), binding, nextRefresh, revokedAt);
  }
}
