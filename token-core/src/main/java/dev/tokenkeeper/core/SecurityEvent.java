package dev.tokenkeeper.core;

import java.time.Instant;
import java.util.Objects;

/**
 * Something a {@link TokenService} did or refused, as its {@link SecurityEventListener}s see it.
 *
 * <p>Every call of {@code authenticate} ends in exactly one of
 * {@link SecurityEventListener#onAuthenticated} (an accepted token: the hot path, so it has no
 * event object), {@link Refused}, {@link ClientMismatch} or {@link StoreUnavailable}; every
 * {@code refresh} in
 * one of {@link Refreshed}, {@link Refused}, {@link ClientMismatch}, {@link ReuseDetected} (then
 * {@link Revoked} with {@link RevocationCause#REUSE} once the session is revoked) or
 * {@link StoreUnavailable}. An issue ends in {@link Issued}, a revocation of a live session in
 * {@link Revoked}, a logout everywhere in {@link RevokedAll}. Events follow the store's answer,
 * so an event is never reported for a change the store did not acknowledge.
 *
 * <p>Consume with {@code instanceof} patterns. Events hold subjects, public session ids and 8-hex
 * token fingerprints ({@link TokenHash#fingerprint()}), never a token or its full hash; their
 * constructors refuse anything longer as a fingerprint. Immutable.
 */
public sealed interface SecurityEvent {

  /** When it happened, by the service's clock. */
  Instant at();

  /** The service call an event came from, where several can end the same way. */
  enum Operation {
    /** {@code issue} or {@code issuePair}. */
    ISSUE,
    /** {@code authenticate}. */
    AUTHENTICATE,
    /** {@code refresh}. */
    REFRESH,
    /** {@code revoke}, {@code revokeSession} or {@code revokeAll}. */
    REVOKE,
    /** {@code sessions}. */
    SESSIONS,
    /** {@code purgeExpired}. */
    PURGE
  }

  /**
   * A session began: a token issued alone, or the first pair of a session.
   *
   * @param refreshFingerprint the refresh token's fingerprint for a pair, {@code null} for a token
   *     issued alone
   */
  record Issued(Instant at, String subject, SessionId sessionId, String tokenFingerprint,
      String refreshFingerprint) implements SecurityEvent {
    public Issued {
      requireSession(at, subject, sessionId);
      requireFingerprint(tokenFingerprint, "tokenFingerprint");
      if (refreshFingerprint != null) {
        requireFingerprint(refreshFingerprint, "refreshFingerprint");
      }
    }
  }

  /**
   * A refresh token was exchanged for a new pair.
   *
   * @param tokenFingerprint the presented refresh token's
   * @param newRefreshFingerprint the refresh token of the pair handed out
   * @param retry whether the presented token had just been rotated and this is a retry within the
   *     grace window, answered with the pair that rotation made
   */
  record Refreshed(Instant at, String subject, SessionId sessionId, String tokenFingerprint,
      String newRefreshFingerprint, boolean retry) implements SecurityEvent {
    public Refreshed {
      requireSession(at, subject, sessionId);
      requireFingerprint(tokenFingerprint, "tokenFingerprint");
      requireFingerprint(newRefreshFingerprint, "newRefreshFingerprint");
    }
  }

  /**
   * A token was refused as {@link AuthResult.Reason#MALFORMED}, {@link AuthResult.Reason#UNKNOWN},
   * {@link AuthResult.Reason#EXPIRED} or {@link AuthResult.Reason#REVOKED}. (A client mismatch
   * and a reuse have events of their own.)
   *
   * @param tokenFingerprint {@code null} for a malformed token: it is not hashed, so that garbage
   *     stays cheap to refuse
   * @param subject the session's subject, {@code null} unless the token is known
   * @param sessionId the session's id, {@code null} unless the token is known
   */
  record Refused(Instant at, Operation operation, AuthResult.Reason reason,
      String tokenFingerprint, String subject, SessionId sessionId) implements SecurityEvent {
    public Refused {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(operation, "operation");
      Objects.requireNonNull(reason, "reason");
      if (reason == AuthResult.Reason.CLIENT_MISMATCH || reason == AuthResult.Reason.REUSED) {
        throw new IllegalArgumentException(reason + " has an event of its own");
      }
      if (tokenFingerprint != null) {
        requireFingerprint(tokenFingerprint, "tokenFingerprint");
      }
      if ((subject == null) != (sessionId == null)) {
        throw new IllegalArgumentException("subject and sessionId are both known or neither");
      }
    }
  }

  /**
   * A valid token was presented by another client than the one it is bound to (a different
   * network or user agent): refused as {@link AuthResult.Reason#CLIENT_MISMATCH}.
   */
  record ClientMismatch(Instant at, Operation operation, String subject, SessionId sessionId,
      String tokenFingerprint) implements SecurityEvent {
    public ClientMismatch {
      requireSession(at, subject, sessionId);
      Objects.requireNonNull(operation, "operation");
      requireFingerprint(tokenFingerprint, "tokenFingerprint");
    }
  }

  /**
   * A rotated refresh token came back after its grace window, or from a client its binding
   * refuses: presumed stolen, refused as {@link AuthResult.Reason#REUSED}, and its session revoked
   * ({@link Revoked} with {@link RevocationCause#REUSE} follows, unless the session had already
   * expired and so ended nothing live). Reported by the call that revokes the session: a replay
   * racing another replay or a logout that revoked it first is refused as
   * {@link AuthResult.Reason#REVOKED}, as if it came after. When the store cannot record the
   * revocation, the theft is still reported, as that call's one event, and its caller gets the
   * {@link StoreUnavailableException}.
   */
  record ReuseDetected(Instant at, String subject, SessionId sessionId, String tokenFingerprint)
      implements SecurityEvent {
    public ReuseDetected {
      requireSession(at, subject, sessionId);
      requireFingerprint(tokenFingerprint, "tokenFingerprint");
    }
  }

  /** A live session was revoked, durably. */
  record Revoked(Instant at, String subject, SessionId sessionId, RevocationCause cause)
      implements SecurityEvent {
    public Revoked {
      requireSession(at, subject, sessionId);
      Objects.requireNonNull(cause, "cause");
    }
  }

  /**
   * Every session of a subject was revoked in one durable step (logout everywhere).
   *
   * @param sessions how many live sessions that ended, possibly none
   */
  record RevokedAll(Instant at, String subject, int sessions, RevocationCause cause)
      implements SecurityEvent {
    public RevokedAll {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(cause, "cause");
      if (sessions < 0) {
        throw new IllegalArgumentException("sessions must not be negative: " + sessions);
      }
    }
  }

  /**
   * The store could not serve a call ({@link StoreUnavailableException}); the caller gets the
   * exception. The exception's message stays with it: stores write only what is safe to log.
   */
  record StoreUnavailable(Instant at, Operation operation) implements SecurityEvent {
    public StoreUnavailable {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(operation, "operation");
    }
  }

  private static void requireSession(Instant at, String subject, SessionId sessionId) {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(sessionId, "sessionId");
  }

  /** Only the 8 hex digits of {@link TokenHash#fingerprint()}: a token cannot pass for one. */
  private static void requireFingerprint(String fingerprint, String name) {
    Objects.requireNonNull(fingerprint, name);
    boolean hex = fingerprint.length() == 8;
    for (int i = 0; hex && i < 8; i++) {
      char c = fingerprint.charAt(i);
      hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    if (!hex) {
      // The value is not echoed: whatever it is, it is not a fingerprint and may be a secret.
      throw new IllegalArgumentException(name + " must be 8 lowercase hex digits");
    }
  }
}
