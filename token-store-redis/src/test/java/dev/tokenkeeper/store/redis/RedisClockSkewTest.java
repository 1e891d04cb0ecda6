package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStoreContract;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two instances whose clocks disagree, on one Redis. On their own clocks, each decides expiry by
 * the instants it is given (token-core's rule), and the store keeps its own part whole: keys live
 * at least as long as every instance asked, and the subject index is trimmed by Redis's clock
 * alone, so no instance's clock can drop a live session out of a logout everywhere. On Redis's
 * clock ({@code redisClock()}), they record and decide on one clock.
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

  /**
   * The one-clock answer: instances on Redis's clock. A use recorded through an instance whose
   * own clock runs 10 minutes fast is not in the on-time instance's future, and the two read the
   * same time (so they decide expiry alike); on their own clocks they would be 10 minutes apart,
   * and the use 10 minutes ahead.
   */
  @Test
  void redisClock_instancesTenMinutesApart_recordUsesAndDecideExpiryOnOneClock() {
    try (RedisTokenStore fast = redisClocked(Clock.offset(Clock.systemUTC(), SKEW));
        RedisTokenStore onTime = redisClocked(Clock.systemUTC())) {
      TokenService viaFast = TokenService.builder().store(fast).clock(fast.clock())
          .idleTimeout(HOUR).build();
      TokenService viaOnTime = TokenService.builder().store(onTime).clock(onTime.clock())
          .idleTimeout(HOUR).build();
      IssuedToken issued = viaOnTime.issue("alice", "phone");

      assertTrue(viaFast.authenticate(issued.plaintext()).isAuthenticated());

      Session seen = viaOnTime.sessions("alice").get(0);
      Instant now = onTime.clock().instant();
      assertFalse(seen.lastUsedAt().isAfter(now),
          "a use through the fast instance at " + seen.lastUsedAt() + ", after " + now);
      assertFalse(seen.expiresAt().isAfter(now.plus(HOUR)), "expiry " + seen.expiresAt());
      Duration apart = Duration.between(onTime.clock().instant(), fast.clock().instant()).abs();
      assertTrue(apart.compareTo(Duration.ofSeconds(1)) < 0, "the clocks are " + apart + " apart");
    }
  }

  /** Readings never go back, even when the instance's own clock does (an NTP step). */
  @Test
  void redisClock_localClockStepsBack_readingsHoldStillInstead() {
    MutableClock local = new MutableClock(Instant.now());
    try (RedisTokenStore store = redisClocked(local)) {
      Instant first = store.clock().instant();
      local.advance(Duration.ofSeconds(-5));
      assertEquals(first, store.clock().instant());
      local.advance(Duration.ofSeconds(6));
      assertTrue(store.clock().instant().isAfter(first));
    }
  }

  /** Without Redis there is no time to tell, rather than the instance's own. */
  @Test
  void redisClock_beforeRedisAnswers_throwsStoreUnavailable() throws IOException {
    int nobody;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      nobody = socket.getLocalPort();
    }
    try (RedisTokenStore store = RedisTokenStore.builder().uri("redis://127.0.0.1:" + nobody)
        .redisClock().build()) {
      assertThrows(StoreUnavailableException.class, () -> store.clock().instant());
    }
  }

  private RedisTokenStore redisClocked(Clock local) {
    return RedisTokenStore.builder().uri(redis.uri()).keyPrefix(prefix).clock(local).redisClock()
        .build();
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
