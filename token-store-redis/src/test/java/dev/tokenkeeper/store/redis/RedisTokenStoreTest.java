package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.ScanParams;

/**
 * The token-core contract against a real Redis, plus what is Redis's own: key layout, TTLs,
 * coalesced touches, several stores sharing one Redis, the near cache's bound.
 */
class RedisTokenStoreTest implements TokenStoreContract {

  @TempDir
  static Path dir;
  static RedisServer server;
  static RedisClient raw;
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  /** Each test gets its own key prefix, so tests share one server without seeing each other. */
  private final String prefix = "c" + PREFIXES.incrementAndGet() + ":";
  private final MutableClock clock = new MutableClock(T0);

  @BeforeAll
  static void startRedis() throws IOException {
    server = RedisServer.start(dir, true);
    raw = RedisClient.create(server.uri());
  }

  @AfterAll
  static void stopRedis() {
    if (raw != null) {
      raw.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Override
  public TokenStore newStore() {
    return builder().build();
  }

  @Override
  public TokenStore reopen(TokenStore store) {
    store.close();
    return newStore();
  }

  RedisTokenStore.Builder builder() {
    return RedisTokenStore.builder().uri(server.uri()).keyPrefix(prefix).clock(clock);
  }

  @Test
  void issue_keysAndValuesHoldTheDigestOnly_neverTheSecret() {
    try (RedisTokenStore store = builder().build()) {
      TokenService tokens = TokenService.builder().store(store).clock(clock).build();
      IssuedToken issued = tokens.issue("alice", "Firefox");
      String secret = issued.plaintext();
      String hex = HexFormat.of().formatHex(TokenHash.sha256(secret).bytes());
      List<String> keys = raw.scan("0", new ScanParams().match(prefix + "*").count(1000))
          .getResult();
      assertEquals(Set.of(prefix + "t:1:" + hex, prefix + "s:alice"), Set.copyOf(keys));
      Map<String, String> fields = raw.hgetAll(prefix + "t:1:" + hex);
      String body = secret.substring(3, 40);
      for (Map.Entry<String, String> field : fields.entrySet()) {
        assertFalse(field.getValue().contains(body), field.getKey());
      }
      assertFalse(raw.smembers(prefix + "s:alice").stream().anyMatch(m -> m.contains(body)));
    }
  }

  @Test
  void save_recordTtl_followsTheSessionExpiry() {
    try (RedisTokenStore store = builder().build()) {
      TokenRecord record = TokenStoreContract.record("alice", Duration.ofHours(1));
      store.save(record);
      long ttl = raw.pttl(recordKey(record));
      assertTrue(ttl > Duration.ofMinutes(59).toMillis() && ttl <= Duration.ofHours(1).toMillis()
          + 1, "ttl " + ttl);
      assertTrue(raw.pttl(prefix + "s:alice") >= ttl - 1000);
    }
  }

  @Test
  void save_shortLived_redisDropsItAtItsTtl_andTheIndexIsCleanedWhenMet() throws Exception {
    try (RedisTokenStore store = builder().build()) {
      TokenRecord shortLived = TokenStoreContract.record("alice", Duration.ofMillis(300));
      TokenRecord longLived = TokenStoreContract.record("alice", Duration.ofHours(1));
      store.save(shortLived);
      store.save(longLived);
      awaitGone(recordKey(shortLived));
      assertEquals(Optional.empty(), store.find(shortLived.hash()));
      assertEquals(2, raw.scard(prefix + "s:alice"));
      assertEquals(List.of(longLived), store.findBySubject("alice"));
      assertEquals(Set.of(RecordCodec.id(longLived.hash())), raw.smembers(prefix + "s:alice"));
    }
  }

  @Test
  void touch_laterExpiry_stretchesTheRecordTtl() {
    try (RedisTokenStore store = builder().build()) {
      TokenRecord record = TokenStoreContract.record("alice", Duration.ofMinutes(10));
      store.save(record);
      store.touch(record.hash(), T0.plusSeconds(1), T0.plus(Duration.ofHours(2)));
      assertTrue(raw.pttl(recordKey(record)) > Duration.ofMinutes(119).toMillis());
      assertTrue(raw.pttl(prefix + "s:alice") > Duration.ofMinutes(119).toMillis());
    }
  }

  @Test
  void revoke_keepsTheTtl_soTheTombstoneLastsUntilExpiry() {
    try (RedisTokenStore store = builder().build()) {
      TokenRecord record = TokenStoreContract.record("alice", Duration.ofHours(1));
      store.save(record);
      store.revoke(record.hash(), T0.plusSeconds(1));
      assertTrue(raw.pttl(recordKey(record)) > Duration.ofMinutes(59).toMillis());
      TokenService tokens = TokenService.builder().store(store).clock(clock).build();
      assertTrue(store.find(record.hash()).orElseThrow().isRevoked());
      assertEquals(0, tokens.sessions("alice").size());
    }
  }

  @Test
  void touch_withinTheInterval_isCoalesced_andWrittenByFlushAndClose() {
    Duration interval = Duration.ofSeconds(30);
    TokenRecord record = TokenStoreContract.record("alice", Duration.ofHours(1));
    try (RedisTokenStore other = builder().build()) {
      RedisTokenStore store = RedisTokenStore.builder().uri(server.uri()).keyPrefix(prefix)
          .clock(clock).touchPersistInterval(interval).build();
      store.save(record);
      Instant first = T0.plusSeconds(1);
      store.touch(record.hash(), first, record.session().expiresAt());
      assertEquals(first, lastUsed(other, record));

      for (int i = 2; i <= 20; i++) {
        store.touch(record.hash(), T0.plusSeconds(i), record.session().expiresAt());
      }
      assertEquals(first, lastUsed(other, record), "coalesced: not written yet");
      assertEquals(T0.plusSeconds(20), lastUsed(store, record), "but seen by its own process");

      store.flushTouches();
      assertEquals(T0.plusSeconds(20), lastUsed(other, record));

      Instant due = T0.plusSeconds(20).plus(interval);
      store.touch(record.hash(), due, record.session().expiresAt());
      assertEquals(due, lastUsed(other, record), "an interval later: written at once");

      store.touch(record.hash(), due.plusSeconds(1), record.session().expiresAt());
      store.close();
      assertEquals(due.plusSeconds(1), lastUsed(other, record), "close flushes");
    }
  }

  @Test
  void twoStores_issueOnOne_authenticateAndRevokeAllOnTheOther_refusedAtOnce() {
    try (RedisTokenStore a = builder().build();
        RedisTokenStore b = RedisTokenStore.builder().uri(server.uri()).keyPrefix(prefix)
            .clock(clock).build()) {
      TokenService onA = TokenService.builder().store(a).clock(clock).build();
      TokenService onB = TokenService.builder().store(b).clock(clock).build();
      IssuedToken issued = onA.issue("alice", "phone");
      assertTrue(onB.authenticate(issued.plaintext()).isAuthenticated());
      assertEquals(1, onB.revokeAll("alice"));
      assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
          onA.authenticate(issued.plaintext()));
    }
  }

  @Test
  void nearCache_revokedElsewhere_servedAtMostTtl_thenRefused() {
    AtomicLong nanos = new AtomicLong();
    Duration ttl = Duration.ofSeconds(2);
    try (RedisTokenStore cached = builder().nearCacheTtl(ttl).ticker(nanos::get).build();
        RedisTokenStore other = RedisTokenStore.builder().uri(server.uri()).keyPrefix(prefix)
            .clock(clock).build()) {
      TokenService onCached = TokenService.builder().store(cached).clock(clock).build();
      TokenService onOther = TokenService.builder().store(other).clock(clock).build();
      IssuedToken issued = onOther.issue("alice");
      assertTrue(onCached.authenticate(issued.plaintext()).isAuthenticated());

      onOther.revokeAll("alice");
      nanos.addAndGet(ttl.toNanos() - 1);
      assertTrue(onCached.authenticate(issued.plaintext()).isAuthenticated(),
          "within the stated bound the cached record may still be served");
      nanos.addAndGet(1);
      assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
          onCached.authenticate(issued.plaintext()));
    }
  }

  @Test
  void nearCache_revokedThroughTheSameStore_refusedAtOnce() {
    try (RedisTokenStore cached = builder().nearCacheTtl(Duration.ofSeconds(5)).build()) {
      TokenService tokens = TokenService.builder().store(cached).clock(clock).build();
      IssuedToken issued = tokens.issue("alice");
      assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());
      assertTrue(tokens.revoke(issued.plaintext()));
      assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
          tokens.authenticate(issued.plaintext()));
    }
  }

  @Test
  void nearCache_unknownToken_isNotCached_soATokenIssuedElsewhereWorksAtOnce() {
    try (RedisTokenStore cached = builder().nearCacheTtl(Duration.ofSeconds(5)).build();
        RedisTokenStore other = RedisTokenStore.builder().uri(server.uri()).keyPrefix(prefix)
            .clock(clock).build()) {
      TokenRecord record = TokenStoreContract.record("alice");
      assertEquals(Optional.empty(), cached.find(record.hash()));
      other.save(record);
      assertEquals(Optional.of(record), cached.find(record.hash()));
    }
  }

  @Test
  void nearCache_sessionEndingWithinTtl_isReadFromRedis() {
    AtomicLong nanos = new AtomicLong();
    try (RedisTokenStore cached = builder().nearCacheTtl(Duration.ofSeconds(5))
            .ticker(nanos::get).build();
        RedisTokenStore other = RedisTokenStore.builder().uri(server.uri()).keyPrefix(prefix)
            .clock(clock).build()) {
      TokenRecord record = TokenStoreContract.record("alice", Duration.ofSeconds(4));
      other.save(record);
      cached.find(record.hash());
      Instant extended = T0.plus(Duration.ofHours(1));
      other.touch(record.hash(), T0.plusSeconds(1), extended);
      assertEquals(extended, cached.find(record.hash()).orElseThrow().session().expiresAt());
    }
  }

  private String recordKey(TokenRecord record) {
    return prefix + "t:" + RecordCodec.id(record.hash());
  }

  private static Instant lastUsed(TokenStore store, TokenRecord record) {
    return store.find(record.hash()).orElseThrow().session().lastUsedAt();
  }

  /** Waits, bounded, for Redis's own expiry: Redis's clock cannot be injected. */
  private static void awaitGone(String key) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (raw.exists(key)) {
      assertTrue(System.nanoTime() < deadline, key + " still in Redis after 5 s");
      Thread.sleep(20);
    }
  }
}
