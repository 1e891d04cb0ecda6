package dev.tokenkeeper.core;

import java.util.Objects;

/**
 * The outcome of {@link TokenService#refresh}: a new pair, or why the refresh token was refused.
 * Tell clients only that the token is invalid; the reason is for logs.
 */
public sealed interface RefreshResult {

  /** Whether a new pair was issued. */
  boolean isRefreshed();

  /**
   * The refresh token was good (or a retry within the grace window): here is the new pair.
   *
   * @param pair the new access and refresh tokens, never {@code null}
   */
  record Refreshed(IssuedPair pair) implements RefreshResult {
    public Refreshed {
      Objects.requireNonNull(pair, "pair");
    }

    @Override
    public boolean isRefreshed() {
      return true;
    }
  }

  /**
   * The refresh token was refused. {@link AuthResult.Reason#REUSED} means an already rotated
   * token came back after the grace window: its session has been revoked as presumed stolen.
   *
   * @param reason why, never {@code null}
   */
  record Rejected(AuthResult.Reason reason) implements RefreshResult {
    public Rejected {
      Objects.requireNonNull(reason, "reason");
    }

    @Override
    public boolean isRefreshed() {
      return false;
    }
  }
}
