package dev.tokenkeeper.core;

import java.util.Objects;

/**
 * The outcome of {@link TokenService#authenticate(String)}: either the session the token opens or
 * the reason it was refused. A refused token is an outcome, not an exception.
 *
 * <p>Consume with {@code instanceof} patterns:
 *
 * <pre>{@code
 * AuthResult result = tokens.authenticate(presented);
 * if (result instanceof AuthResult.Authenticated ok) {
 *   serve(ok.session().subject());
 * } else if (result instanceof AuthResult.Rejected rejected) {
 *   refuse(rejected.reason());
 * }
 * }</pre>
 *
 * <p>Tell clients only that a token is invalid; the {@link Reason} is for logs and metrics, so an
 * attacker cannot probe whether a token ever existed.
 */
public sealed interface AuthResult {

  /** Whether the token was accepted. */
  boolean isAuthenticated();

  /** Why a token was refused. */
  enum Reason {
    /** Not a token at all: wrong prefix, length, alphabet or checksum. No store was consulted. */
    MALFORMED,
    /** Well formed, but no store knows it. */
    UNKNOWN,
    /** Known, but past its expiry (absolute lifetime or idle timeout). */
    EXPIRED,
    /** Known, but revoked (logout, logout everywhere, device removed). */
    REVOKED,
    /**
     * A refresh token already rotated, presented again after the grace window: presumed stolen,
     * so its session (only that one) has just been revoked.
     */
    REUSED,
    /** Known and valid, but bound to another client (network or user agent) than the caller. */
    CLIENT_MISMATCH
  }

  /**
   * The token is valid and opens {@code session}, as updated by this use.
   *
   * @param session the session, never {@code null}
   */
  record Authenticated(Session session) implements AuthResult {
    public Authenticated {
      Objects.requireNonNull(session, "session");
    }

    @Override
    public boolean isAuthenticated() {
      return true;
    }
  }

  /**
   * The token was refused.
   *
   * @param reason why, never {@code null}
   */
  record Rejected(Reason reason) implements AuthResult {
    public Rejected {
      Objects.requireNonNull(reason, "reason");
    }

    @Override
    public boolean isAuthenticated() {
      return false;
    }
  }
}
