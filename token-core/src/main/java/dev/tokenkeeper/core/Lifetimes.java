package dev.tokenkeeper.core;

import java.time.Duration;
import java.time.Instant;

/**
 * How long sessions and their tokens live, as one value: the absolute lifetime of a session, the
 * optional idle timeout that ends it earlier when unused, the life of a pair's access token and
 * the grace window for retrying a rotated refresh token. Validated by {@link TokenService.Builder};
 * immutable.
 *
 * <p>Every end is capped by {@code createdAt + absoluteTtl}: no use or refresh extends a session
 * past it.
 */
record Lifetimes(Duration absoluteTtl, Duration idleTimeout, Duration accessTtl,
    Duration refreshGrace) {

  /** When a session started at {@code now} ends unless used. */
  Instant firstEnd(Instant now) {
    return now.plus(idleTimeout == null ? absoluteTtl : idleTimeout);
  }

  /** When {@code session} ends after a use at {@code now} that slides it (idle timeout on). */
  Instant slidEnd(Session session, Instant now) {
    if (idleTimeout == null) {
      return session.expiresAt();
    }
    return earlier(now.plus(idleTimeout), hardEnd(session));
  }

  /** When a refresh token issued at {@code now} for {@code session} ends. */
  Instant refreshEnd(Session session, Instant now) {
    return earlier(firstEnd(now), hardEnd(session));
  }

  /** When an access token issued at {@code now} beside a refresh token ending at {@code end} ends. */
  Instant accessEnd(Instant now, Instant refreshEnd) {
    return earlier(now.plus(accessTtl), refreshEnd);
  }

  private Instant hardEnd(Session session) {
    return session.createdAt().plus(absoluteTtl);
  }

  static Instant earlier(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
