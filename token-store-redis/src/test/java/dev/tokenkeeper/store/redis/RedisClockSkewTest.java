package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenStoreContract;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two instances whose clocks disagree, on one Redis. Each instance decides expiry by the instants
 * it is given (token-core's rule); what the store must keep whole across them is its own part:
 * keys live at least as long as every instance asked, and the subject index is trimmed by Redis's
 * clock alone, so no instance's clock can drop a live session out of a logout everywhere.
 */
class RedisClockSkewTest {

  @RegisterExtension static final SharedRedis redis = new SharedRedis(false);
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static final Instant T0 = TokenStoreContract.T0;
  private static final Duration HOUR = Duration.ofHours(1);
  private static final Duration SKEW = Duration.ofMinutes(10);

  private final String prefix = "skew" + PREFIXES.incrementAndGet() + ":";

  /**
   * Instance A runs 10 minutes fast: at its T0 it creates a session ending at T0 + 1 h, kept
   * 1 h. Five minutes on (by Redis's clock), instance B, on time (its clock says T0 - 5 min),
   * records a use and asks for its now + 1 h, which is earlier than A's expiry, so the stored
   * expiry stays A's. B's request must still keep every key an hour more: else Redis drops the
   * session 5 minutes before B's expiry.
   */
  @Test
  void touch_byASlowerInstance_keepsEveryKeyAsLongAsItAsked() {
    Instant onTimeNow = T0.minus(SKEW).plus(Duration.ofMinutes(5));
    try (RedisTokenStore fast = store(T0);
        RedisTokenStore onTime = store(onTimeNow)) {
      SessionRecord session = TokenStoreContract.createPair(fast, "alice");
      List<String> keys = redis.sessionKeys(prefix, session.id());
      // Five minutes pass for Redis: each key has 55 of its 60 minutes left.
      for (String key : keys) {
        redis.raw().pexpire(key, HOUR.minus(Duration.ofMinutes(5)).toMillis());
      }
      Instant asked = onTimeNow.plus(HOUR);
      assertTrue(asked.isBefore(session.expiresAt()), "earlier than A's expiry");

      onTime.touch(session.id(), onTimeNow, asked);

      for (String key : keys) {
        long ttl = redis.raw().pttl(key);
        assertTrue(ttl > HOUR.minusSeconds(60).toMillis(), key + " keeps only " + ttl + " ms");
      }
    }
  }

  /**
   * Instance A runs two hours fast: by its clock, a session B created an hour ago has already
   * expired. A's writes to the index must not trim it (only Redis's clock may), so A's logout
   * everywhere still revokes it.
   */
  @Test
  void create_byAnInstanceFarAhead_neverTrimsAnotherInstancesLiveSession() {
    try (RedisTokenStore onTime = store(T0);
        RedisTokenStore farAhead = store(T0.plus(Duration.ofHours(2)))) {
      SessionRecord mine = TokenStoreContract.createPair(onTime, "bob");
      TokenStoreContract.createSingle(farAhead, session("bob", T0.plus(Duration.ofHours(2))));

      assertEquals(2, redis.raw().zcard(prefix + "v2:i:bob"));
      assertEquals(2, farAhead.revokeAll("bob", T0.plus(Duration.ofMinutes(1))));
      assertTrue(onTime.findSession(mine.id()).orElseThrow().isRevoked());
    }
  }

  private RedisTokenStore store(Instant now) {
    return RedisTokenStore.builder().uri(redis.uri()).keyPrefix(prefix)
        .clock(Clock.fixed(now, ZoneOffset.UTC)).build();
  }

  /** A session of {@code subject} created at {@code now}, ending an hour later. */
  private static SessionRecord session(String subject, Instant now) {
    SessionRecord template = TokenStoreContract.session(subject, HOUR);
    return SessionRecord.of(new Session(template.id(), subject, "device",
        now, now, now.plus(HOUR)), null, null);
  }
}
