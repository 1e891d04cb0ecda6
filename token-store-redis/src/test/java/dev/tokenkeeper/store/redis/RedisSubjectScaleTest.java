package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStoreContract;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One subject at scale: the index holds only sessions still in Redis however many came and went,
 * and a subject larger than one page is revoked and listed in pages while logout everywhere stays
 * one atomic step (the marker) and its count exact.
 */
class RedisSubjectScaleTest {

  /** Nothing here is about crashes: no fsync per write, so thousands of logins run quickly. */
  @RegisterExtension static final SharedRedis redis = new SharedRedis(false);
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static final Instant T0 = TokenStoreContract.T0;
  private static final Duration HOUR = Duration.ofHours(1);

  private final String prefix = "scale" + PREFIXES.incrementAndGet() + ":";
  private final Clock clock = Clock.fixed(T0, ZoneOffset.UTC);

  @Test
  void create_10000ShortLivedLoginsOfOneUser_indexHoldsOnlyLiveSessions() throws Exception {
    String index = prefix + "v2:i:alice";
    try (RedisTokenStore store = store()) {
      TokenStoreContract.createSingle(store, TokenStoreContract.session("alice", HOUR));
      TokenStoreContract.createSingle(store, TokenStoreContract.session("alice", HOUR));
      long largest = 0;
      SessionRecord last = null;
      for (int i = 0; i < 10_000; i++) {
        last = TokenStoreContract.session("alice", Duration.ofMillis(20));
        TokenStoreContract.createSingle(store, last);
        if (i % 500 == 0) {
          largest = Math.max(largest, redis.raw().zcard(index));
        }
      }
      // Each create trims what Redis has dropped: only logins of the last few moments remain.
      assertTrue(largest < 2_000, "index grew to " + largest + " members");

      awaitGone(prefix + "v2:s:" + last.id());
      SessionRecord live = TokenStoreContract.session("alice", HOUR);
      TokenStoreContract.createSingle(store, live);

      assertEquals(3, redis.raw().zcard(index), "only the live sessions are indexed");
      assertEquals(3, store.findSessions("alice").size());
      // A few kB once Redis has switched the set to its large encoding; 10,003 members: ~1 MB.
      long memory = redis.raw().memoryUsage(index);
      assertTrue(memory < 8_192, "index memory " + memory + " bytes");
      assertEquals(3, redis.raw().keys(prefix + "v2:s:*").size());
    }
  }

  @Test
  void revokeAll_subjectOfThreePages_revokesEverySession_inPages_countingEachOnce() {
    int sessions = 3 * RedisTokenStore.SUBJECT_BATCH + 7;
    try (RedisTokenStore store = store()) {
      List<TokenRecord> tokens = createMany(store, "bob", sessions);
      TokenRecord other = TokenStoreContract.createSingle(store,
          TokenStoreContract.session("carol", HOUR));
      long scriptsBefore = scriptCalls();

      assertEquals(sessions, store.revokeAll("bob", T0.plusSeconds(1)));

      assertTrue(scriptCalls() - scriptsBefore >= 4, "one marker step, then at least 3 pages");
      for (TokenRecord token : tokens) {
        SessionRecord session = store.find(token.hash()).orElseThrow().session();
        assertEquals(T0.plusSeconds(1), session.revokedAt());
        assertNotNull(redis.raw().hget(prefix + "v2:s:" + session.id(), "r"),
            "written on the session itself");
      }
      assertFalse(store.find(other.hash()).orElseThrow().session().isRevoked());
      assertEquals(0, store.revokeAll("bob", T0.plusSeconds(2)), "nothing left to revoke");
      assertEquals(T0.plusSeconds(1),
          store.find(tokens.get(0).hash()).orElseThrow().session().revokedAt(), "first kept");
    }
  }

  @Test
  void findSessions_subjectOfThreePages_readsEverySessionOnce() {
    int sessions = 3 * RedisTokenStore.SUBJECT_BATCH + 7;
    try (RedisTokenStore store = store()) {
      List<TokenRecord> tokens = createMany(store, "dave", sessions);
      Set<String> expected = new HashSet<>();
      tokens.forEach(token -> expected.add(token.sessionId().value()));

      List<SessionRecord> found = store.findSessions("dave");

      Set<String> ids = new HashSet<>();
      found.forEach(session -> ids.add(session.id().value()));
      assertEquals(sessions, found.size());
      assertEquals(expected, ids);
    }
  }

  /**
   * Logout everywhere is decided by the marker alone, before any session carries {@code r}: a
   * revocation whose pages were cut short (Redis gone, instance crashed) still holds everywhere.
   */
  @Test
  void marker_setButNoSessionWrittenYet_everyCoveredSessionActsRevoked_laterOnesLive() {
    try (RedisTokenStore store = store()) {
      SessionRecord first = TokenStoreContract.createPair(store, "erin");
      SessionRecord second = TokenStoreContract.createPair(store, "erin");
      String marker = prefix + "v2:g:erin";
      // What revoke_all.lua's first step writes for a subject larger than one page.
      redis.raw().hset(marker, Map.of("ra", redis.raw().hget(marker, "n"),
          "rat", KeyLayout.encode(T0.plusSeconds(5))));
      SessionRecord third = TokenStoreContract.createPair(store, "erin");

      for (SessionRecord covered : List.of(first, second)) {
        assertEquals(T0.plusSeconds(5), store.findSession(covered.id()).orElseThrow().revokedAt());
        assertEquals(T0.plusSeconds(5),
            store.find(covered.refreshHash()).orElseThrow().session().revokedAt());
        assertFalse(store.rotate(TokenStoreContract.rotation(covered, T0.plusSeconds(6))));
      }
      store.touch(first.id(), T0.plusSeconds(7), T0.plus(Duration.ofHours(2)));
      store.flushTouches();
      assertEquals(T0.plus(HOUR), store.findSession(first.id()).orElseThrow().expiresAt(),
          "a covered session is not extended");
      assertFalse(store.revokeSession(second.id(), T0.plusSeconds(9)), "already revoked");
      assertEquals(T0.plusSeconds(5), store.findSession(second.id()).orElseThrow().revokedAt());
      assertFalse(store.findSession(third.id()).orElseThrow().isRevoked(), "created after it");
      assertTrue(store.rotate(TokenStoreContract.rotation(third, T0.plusSeconds(6))));
      List<SessionRecord> listed = store.findSessions("erin");
      assertEquals(2, listed.stream().filter(SessionRecord::isRevoked).count());
    }
  }

  /** A Redis written by the first release of layout 2 kept each index as a plain set. */
  @Test
  void indexAsAPlainSet_fromTheFirstLayout2Release_isConvertedWhenMet() {
    try (RedisTokenStore store = store()) {
      SessionRecord kept = TokenStoreContract.createPair(store, "frank");
      SessionRecord gone = TokenStoreContract.createPair(store, "frank");
      String index = prefix + "v2:i:frank";
      redis.raw().del(index, prefix + "v2:g:frank");
      redis.raw().sadd(index, kept.id().value(), gone.id().value(), "long-gone-session");
      redis.raw().pexpire(index, HOUR.toMillis());
      for (SessionRecord session : List.of(kept, gone)) {
        redis.raw().hdel(prefix + "v2:s:" + session.id(), "n"); // no numbers before
      }
      redis.raw().del(prefix + "v2:s:" + gone.id());

      assertEquals(List.of(kept.id()), store.findSessions("frank").stream()
          .map(SessionRecord::id).toList());
      assertEquals("zset", redis.raw().type(index));
      assertEquals(List.of(kept.id().value()), redis.raw().zrange(index, 0, -1));

      SessionRecord later = TokenStoreContract.createPair(store, "frank");
      assertEquals(2, store.revokeAll("frank", T0.plusSeconds(1)));
      assertTrue(store.findSession(kept.id()).orElseThrow().isRevoked());
      assertTrue(store.findSession(later.id()).orElseThrow().isRevoked());
    }
  }

  private RedisTokenStore store() {
    return RedisTokenStore.builder().uri(redis.uri()).keyPrefix(prefix).clock(clock).build();
  }

  private static List<TokenRecord> createMany(RedisTokenStore store, String subject, int count) {
    List<TokenRecord> tokens = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      tokens.add(TokenStoreContract.createSingle(store,
          TokenStoreContract.session(subject, HOUR)));
    }
    return tokens;
  }

  /** Scripts Redis has run so far ({@code EVALSHA} and {@code EVAL}). */
  private static long scriptCalls() {
    long calls = 0;
    for (String line : redis.raw().info("commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
        String field = line.substring(line.indexOf("calls=") + 6);
        calls += Long.parseLong(field.substring(0, field.indexOf(',')));
      }
    }
    return calls;
  }

  /** Waits, bounded, for Redis's own expiry: Redis's clock cannot be injected. */
  private static void awaitGone(String key) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (redis.raw().exists(key)) {
      assertTrue(System.nanoTime() < deadline, key + " still in Redis after 5 s");
      Thread.sleep(20);
    }
  }
}
