package dev.tokenkeeper.demo;

import dev.tokenkeeper.core.RevocationCause;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.TokenService;
import java.util.Comparator;
import java.util.List;

/**
 * Caps each user's live sessions: after a login, while the user has more than {@code max}, the
 * one idle longest (oldest last use) other than the new one is ended. Uses only
 * {@link TokenService#sessions} and {@link TokenService#revokeSession}, re-reading after each
 * end, so parallel logins settle at the cap rather than each ending the same session.
 *
 * <p>Immutable; thread-safe.
 */
final class SessionCap {

  static final int DEFAULT_MAX = 10;

  private final TokenService tokens;
  private final int max;

  SessionCap(TokenService tokens, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max sessions must be at least 1: " + max);
    }
    this.tokens = tokens;
    this.max = max;
  }

  /** Ends {@code subject}'s idlest sessions beyond the cap, sparing {@code current}. */
  int enforce(String subject, SessionId current) {
    int ended = 0;
    // Bounded, in case a store lists a session it will not revoke.
    for (int round = 0; round < 1_000; round++) {
      List<Session> live = tokens.sessions(subject);
      if (live.size() <= max) {
        return ended;
      }
      Session idlest = live.stream()
          .filter(s -> !s.id().equals(current))
          .min(Comparator.comparing(Session::lastUsedAt))
          .orElseThrow();
      if (tokens.revokeSession(subject, idlest.id(), RevocationCause.CAP)) {
        ended++;
      }
    }
    return ended;
  }
}
