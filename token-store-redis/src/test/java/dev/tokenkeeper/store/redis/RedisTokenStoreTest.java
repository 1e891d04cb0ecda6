package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenServiceContract;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The contracts with the near cache off, plus what is Redis's own: key layout, TTLs, coalesced
 * touches, several stores sharing one Redis.
 */
class RedisTokenStoreTest extends RedisContractTest {

  private static final Duration HOUR = Duration.ofHours(1);

  @Override
  RedisTokenStore.Builder configure(RedisTokenStore.Builder builder) {
    return builder;
  }

  @Test
  void issuePair_keysAndValuesHoldDigestsOnly_neverASecret() {
    try (RedisTokenStore store = builder(clock()).build()) {
      TokenService tokens = TokenService.builder().store(store).clock(clock()).build();
      IssuedPair pair = tokens.issuePair("alice", "Firefox", TokenServiceContract.CLIENT);
      String sid = pair.session().id().value();
      String root = prefix + "v2:";
      Set<String> keys = redis.raw().keys(prefix + "*");
      assertEquals(Set.of(root + "s:" + sid, root + "k:" + sid, root + "i:alice", root + "g:alice",
          root + "t:1:" + hex(pair.refreshPlaintext()), root + "t:1:" + hex(pair.access()
              .plaintext()), root + "upgraded"), keys);
      assertEquals("1:" + hex(pair.refreshPlaintext()), redis.raw().hget(root + "s:" + sid, "rh"));
      for (String secret : List.of(pair.refreshPlaintext(), pair.access().plaintext())) {
        String body = secret.substring(4, 40);
        for (String key : keys) {
          assertFalse(key.contains(body), key);
          if (redis.raw().type(key).equals("hash")) {
            redis.raw().hgetAll(key).values().forEach(v -> assertFalse(v.contains(body), key));
          }
        }
      }
    }
  }

  @Test
  void create_everyKeyOfTheSession_expiresWithTheSession() {
    try (RedisTokenStore store = builder(clock()).build()) {
      SessionRecord session = TokenStoreContract.createPair(store, "alice");
      for (String key : sessionKeys(session)) {
        long ttl = redis.raw().pttl(key);
        assertTrue(ttl > HOUR.minusMinutes(1).toMillis() && ttl <= HOUR.toMillis() + 1,
            key + " ttl " + ttl);
      }
    }
  }

  @Test
  void create_shortLived_redisDropsItAtItsTtl_andTheIndexIsCleanedWhenMet() throws Exception {
    try (RedisTokenStore store = builder(clock()).build()) {
      SessionRecord shortLived = TokenStoreContract.session("alice", Duration.ofMillis(300));
      SessionRecord longLived = TokenStoreContract.session("alice", HOUR);
      TokenRecord token = TokenStoreContract.createSingle(store, shortLived);
      TokenStoreContract.createSingle(store, longLived);
      awaitGone(prefix + "v2:s:" + shortLived.id());
      assertEquals(Optional.empty(), store.find(token.hash()));
      assertEquals(2, redis.raw().zcard(prefix + "v2:i:alice"));
      assertEquals(List.of(longLived), store.findSessions("alice"));
      assertEquals(List.of(longLived.id().value()),
          redis.raw().zrange(prefix + "v2:i:alice", 0, -1));
    }
  }

  @Test
  void touch_laterExpiry_stretchesTheTtlOfEveryKeyOfTheSession() {
    try (RedisTokenStore store = builder(clock()).build()) {
      SessionRecord session = TokenStoreContract.createPair(store, "alice");
      store.touch(session.id(), T0.plusSeconds(1), T0.plus(Duration.ofHours(2)));
      for (String key : sessionKeys(session)) {
        assertTrue(redis.raw().pttl(key) > Duration.ofMinutes(119).toMillis(), key);
      }
    }
  }

  @Test
  void rotate_laterExpiry_stretchesEveryKey_andTheSealedPairLivesAsLongAsItsTombstone() {
    try (RedisTokenStore store = builder(clock()).build()) {
      SessionRecord session = TokenStoreContract.createPair(store, "alice");
      Rotation rotation = TokenStoreContract.rotation(session, T0);
      assertTrue(store.rotate(rotation));
      long stretched = Duration.between(T0, rotation.expiresAt()).toMillis();
      for (String key : sessionKeys(store.findSession(session.id()).orElseThrow())) {
        long ttl = redis.raw().pttl(key);
        assertTrue(ttl > stretched - 60_000 && ttl <= stretched + 1, key + " ttl " + ttl);
      }
      long sealed = redis.raw().pttl(prefix + "v2:n:" + KeyLayout.id(session.refreshHash()));
      assertTrue(sealed > stretched - 60_000 && sealed <= stretched + 1, "ttl " + sealed);
    }
  }

  @Test
  void revokeSession_keepsTheTtl_soTheTombstoneLastsAsLongAsTheSession() {
    try (RedisTokenStore store = builder(clock()).build()) {
      SessionRecord session = TokenStoreContract.createPair(store, "alice");
      assertTrue(store.revokeSession(session.id(), T0.plusSeconds(1)));
      for (String key : sessionKeys(session)) {
        assertTrue(redis.raw().pttl(key) > HOUR.minusMinutes(1).toMillis(), key);
      }
      assertTrue(store.find(session.refreshHash()).orElseThrow().session().isRevoked());
    }
  }

  @Test
  void touch_withinTheInterval_isCoalesced_andWrittenByFlushAndClose() {
    Duration interval = Duration.ofSeconds(30);
    SessionRecord session = TokenStoreContract.session("alice", HOUR);
    Instant end = session.expiresAt();
    try (RedisTokenStore other = builder(clock()).build()) {
      RedisTokenStore store = RedisTokenStore.builder().uri(redis.uri()).keyPrefix(prefix)
          .clock(clock()).touchPersistInterval(interval).build();
      TokenStoreContract.createSingle(store, session);
      Instant first = T0.plusSeconds(1);
      store.touch(session.id(), first, end);
      assertEquals(first, lastUsed(other, session));

      for (int i = 2; i <= 20; i++) {
        store.touch(session.id(), T0.plusSeconds(i), end);
      }
      assertEquals(first, lastUsed(other, session), "coalesced: not written yet");
      assertEquals(T0.plusSeconds(20), lastUsed(store, session), "but seen by its own process");

      store.flushTouches();
      assertEquals(T0.plusSeconds(20), lastUsed(other, session));

      Instant due = T0.plusSeconds(20).plus(interval);
      store.touch(session.id(), due, end);
      assertEquals(due, lastUsed(other, session), "an interval later: written at once");

      store.touch(session.id(), due.plusSeconds(1), end);
      store.close();
      assertEquals(due.plusSeconds(1), lastUsed(other, session), "close flushes");
    }
  }

  @Test
  void twoStores_issueOnOne_authenticateAndRevokeAllOnTheOther_refusedAtOnce() {
    try (RedisTokenStore a = builder(clock()).build();
        RedisTokenStore b = builder(clock()).build()) {
      TokenService onA = TokenService.builder().store(a).clock(clock()).build();
      TokenService onB = TokenService.builder().store(b).clock(clock()).build();
      IssuedToken issued = onA.issue("alice", "phone");
      assertTrue(onB.authenticate(issued.plaintext()).isAuthenticated());
      assertEquals(1, onB.revokeAll("alice"));
      assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
          onA.authenticate(issued.plaintext()));
    }
  }

  /** The keys that must live exactly as long as {@code session}. */
  private List<String> sessionKeys(SessionRecord session) {
    List<String> keys = redis.sessionKeys(prefix, session.id());
    assertTrue(keys.size() >= 3, "the session has tokens: " + keys);
    return keys;
  }

  private static String hex(String plaintext) {
    return HexFormat.of().formatHex(TokenHash.sha256(plaintext).bytes());
  }

  private static Instant lastUsed(TokenStore store, SessionRecord session) {
    return store.findSession(session.id()).orElseThrow().session().lastUsedAt();
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
