package dev.tokenkeeper.core;

/**
 * Who or what ended a session, as {@link SecurityEvent.Revoked} and
 * {@link SecurityEvent.RevokedAll} report it. Callers of {@link TokenService#revokeSession} and
 * {@link TokenService#revokeAll} name it; the service sets {@link #REUSE} itself.
 */
public enum RevocationCause {
  /** The user logged out, logged out everywhere or removed a device. The default. */
  USER,
  /** A rotated refresh token came back after its grace window: presumed stolen. */
  REUSE,
  /** The application ended an idle session to keep a user under a session cap. */
  CAP,
  /** An administrator or an automated policy ended it. */
  ADMIN
}
