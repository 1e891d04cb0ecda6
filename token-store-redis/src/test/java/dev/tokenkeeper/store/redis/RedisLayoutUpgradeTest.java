package dev.tokenkeeper.store.redis;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.AbstractPipeline;

/**
 * A Redis written by the previous release (layout 1: one hash per token holding its session's
 * fields, {@code r} once revoked or rotated; one set per subject) is upgraded in place when the
 * new store opens: live tokens authenticate, revoked ones are refused, expiries are kept, a v1
 * refresh chain goes on and a rotated v1 refresh token counts as reuse. The old keys are written
 * here exactly as the previous release's {@code save.lua} and {@code RecordCodec} wrote them.
 */
class RedisLayoutUpgradeTest {

  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");
  private static final Duration HOUR = Duration.ofHours(1);

  @RegisterExtension static final SharedRedis redis = new SharedRedis();
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  private final String prefix = "u" + PREFIXES.incrementAndGet() + ":";
  private final MutableClock clock = new MutableClock(T0);
  /** Mints tokens in the real formats; only their hashes go into the old layout. */
  private final TokenService minter =
      TokenService.builder().store(new InMemoryTokenStore()).clock(clock).build();

  @Test
  void open_singleTokens_liveAuthenticates_revokedIsRefused_expiriesKept_oldKeysGone() {
    String live = minter.issue("alice").plaintext();
    String revoked = minter.issue("alice").plaintext();
    SessionId liveId = SessionId.parse("AAAAAAAAAAAAAAAAAAAAAA");
    V1 v1 = new V1();
    v1.token(live, liveId, "alice", T0.plus(HOUR), null);
    v1.token(revoked, SessionId.parse("BBBBBBBBBBBBBBBBBBBBBA"), "alice", T0.plus(HOUR),
        T0.plusSeconds(5));

    try (RedisTokenStore store = open()) {
      TokenService tokens = service(store);
      assertTrue(tokens.authenticate(live).isAuthenticated());
      assertEquals(AuthResult.Reason.REVOKED, rejected(tokens.authenticate(revoked)));
      TokenEntry found = store.find(TokenHash.sha256(live)).orElseThrow();
      assertEquals(T0.plus(HOUR), found.session().expiresAt());
      assertNull(found.token().expiresAt(), "a session's only token lives as long as it");
      assertEquals(List.of(liveId), tokens.sessions("alice").stream().map(s -> s.id()).toList());
      clock.set(T0.plus(HOUR));
      assertEquals(AuthResult.Reason.EXPIRED, rejected(tokens.authenticate(live)));
    }
    assertEquals(Set.of(), redis.raw().keys(prefix + "t:*"));
    assertEquals(Set.of(), redis.raw().keys(prefix + "s:*"));
    assertEquals("1", redis.raw().get(prefix + "v2:upgraded"));
    long ttl = redis.raw().pttl(prefix + "v2:s:" + liveId);
    assertTrue(ttl > HOUR.minusMinutes(1).toMillis() && ttl <= HOUR.toMillis() + 1, "ttl " + ttl);
  }

  @Test
  void open_v1PairChain_currentRefreshTokenRenewsTheSession() {
    Chain chain = v1Chain();
    try (RedisTokenStore store = open()) {
      TokenService tokens = service(store);
      assertTrue(tokens.authenticate(chain.access).isAuthenticated());
      RefreshResult result = tokens.refresh(chain.refresh, CLIENT);
      IssuedPair next = assertInstanceOf(RefreshResult.Refreshed.class, result).pair();
      assertEquals(chain.id, next.session().id());
      assertTrue(tokens.authenticate(next.access().plaintext()).isAuthenticated());
      assertEquals(TokenHash.sha256(next.refreshPlaintext()),
          store.findSession(chain.id).orElseThrow().refreshHash());
    }
  }

  @Test
  void open_v1PairChain_rotatedRefreshTokenIsReuse_andEndsThatSession() {
    Chain chain = v1Chain();
    try (RedisTokenStore store = open()) {
      TokenService tokens = service(store);
      TokenEntry old = store.find(TokenHash.sha256(chain.rotated)).orElseThrow();
      assertEquals(T0.plusSeconds(300), old.token().rotatedAt());
      assertEquals(T0.plus(Duration.ofDays(7)), old.token().expiresAt(),
          "a token of a session with several keeps its own expiry");
      assertEquals(AuthResult.Reason.REUSED, rejected(tokens.refresh(chain.rotated, CLIENT)));
      assertFalse(tokens.authenticate(chain.access).isAuthenticated());
      assertEquals(AuthResult.Reason.REVOKED, rejected(tokens.refresh(chain.refresh, CLIENT)));
    }
  }

  @Test
  void open_sessionWhoseTokensWereAllRevoked_isRevoked() {
    IssuedPair pair = minter.issuePair("carol", null, CLIENT);
    SessionId id = SessionId.parse("CCCCCCCCCCCCCCCCCCCCCA");
    V1 v1 = new V1();
    v1.token(pair.access().plaintext(), id, "carol", T0.plus(Duration.ofMinutes(15)),
        T0.plusSeconds(9));
    v1.token(pair.refreshPlaintext(), id, "carol", T0.plus(Duration.ofDays(7)),
        T0.plusSeconds(9));
    try (RedisTokenStore store = open()) {
      SessionRecord session = store.findSession(id).orElseThrow();
      assertEquals(T0.plusSeconds(9), session.revokedAt());
      assertEquals(T0.plus(Duration.ofDays(7)), session.expiresAt());
      TokenService tokens = service(store);
      assertEquals(AuthResult.Reason.REVOKED,
          rejected(tokens.authenticate(pair.access().plaintext())));
      assertEquals(AuthResult.Reason.REVOKED,
          rejected(tokens.refresh(pair.refreshPlaintext(), CLIENT)));
    }
  }

  @Test
  void open_afterAnUpgradeInterruptedBeforeItsMarker_upgradesTheRest_andLeavesTheDoneAlone() {
    String first = minter.issue("alice").plaintext();
    SessionId firstId = SessionId.parse("DDDDDDDDDDDDDDDDDDDDDA");
    new V1().token(first, firstId, "alice", T0.plus(HOUR), null);
    SessionRecord upgraded;
    try (RedisTokenStore store = open()) {
      upgraded = store.findSession(firstId).orElseThrow();
    }
    // What a crash mid-walk leaves: some subjects converted, others not, and no marker.
    redis.raw().del(prefix + "v2:upgraded");
    String second = minter.issue("bob").plaintext();
    new V1().token(second, SessionId.parse("EEEEEEEEEEEEEEEEEEEEEA"), "bob", T0.plus(HOUR), null);
    try (RedisTokenStore store = open()) {
      TokenService tokens = service(store);
      assertTrue(tokens.authenticate(first).isAuthenticated());
      assertTrue(tokens.authenticate(second).isAuthenticated());
      assertEquals(upgraded.session(), store.findSession(firstId).orElseThrow().session());
      assertEquals(1, store.findSessions("alice").size());
    }
    assertEquals(Set.of(), redis.raw().keys(prefix + "t:*"));
  }

  @Test
  void open_twoStoresAtOnce_everyTokenKeepsItsSessionAndItsState() throws Exception {
    V1 v1 = new V1();
    List<String> issued = new ArrayList<>();
    Map<String, SessionId> sessions = new HashMap<>();
    for (int i = 0; i < 200; i++) {
      String subject = "user" + i % 20;
      IssuedToken token = minter.issue(subject);
      issued.add(token.plaintext());
      v1.token(token.plaintext(), sessions.computeIfAbsent(subject, s -> token.session().id()),
          subject, T0.plus(HOUR), i % 4 == 0 ? T0.plusSeconds(1) : null);
    }
    List<RedisTokenStore> stores = Concurrently.run(2, i -> open());
    try {
      for (int i = 0; i < 20; i++) {
        assertEquals(1, stores.get(i % 2).findSessions("user" + i).size(), "user" + i);
      }
      TokenService tokens = service(stores.get(0));
      for (int i = 0; i < issued.size(); i++) {
        // Each subject's ten tokens share one session: revoked iff all of them were.
        assertTrue(tokens.authenticate(issued.get(i)).isAuthenticated() != (i % 4 == 0),
            "token " + i);
      }
    } finally {
      stores.forEach(RedisTokenStore::close);
    }
    assertEquals(Set.of(), redis.raw().keys(prefix + "t:*"));
  }

  private RedisTokenStore open() {
    return RedisTokenStore.builder().uri(redis.uri()).keyPrefix(prefix).clock(clock).build();
  }

  private TokenService service(RedisTokenStore store) {
    return TokenService.builder().store(store).clock(clock).build();
  }

  private static AuthResult.Reason rejected(Object result) {
    if (result instanceof RefreshResult.Rejected refused) {
      return refused.reason();
    }
    return assertInstanceOf(AuthResult.Rejected.class, result).reason();
  }

  /** A v1 refresh chain as the previous release left it after one refresh at T0 + 5 min. */
  private record Chain(SessionId id, String rotated, String access, String refresh) {}

  private Chain v1Chain() {
    IssuedPair first = minter.issuePair("bob", null, CLIENT);
    IssuedPair second = minter.issuePair("bob", null, CLIENT);
    SessionId id = SessionId.parse("FFFFFFFFFFFFFFFFFFFFFA");
    Instant end = T0.plus(Duration.ofDays(7));
    V1 v1 = new V1();
    v1.token(first.refreshPlaintext(), id, "bob", end, T0.plusSeconds(300));
    v1.token(first.access().plaintext(), id, "bob", T0.plus(Duration.ofMinutes(15)), null);
    v1.token(second.refreshPlaintext(), id, "bob", end, null);
    v1.token(second.access().plaintext(), id, "bob", T0.plus(Duration.ofMinutes(20)), null);
    return new Chain(id, first.refreshPlaintext(), second.access().plaintext(),
        second.refreshPlaintext());
  }

  /**
   * Writes token records in layout 1, as the previous release's save script did: the record
   * with its TTL, its index member, and the index living as long as its longest record.
   */
  private final class V1 {

    private final Map<String, Long> indexTtl = new HashMap<>();

    void token(String plaintext, SessionId id, String subject, Instant expiresAt,
        Instant revokedAt) {
      String member = "1:" + HexFormat.of().formatHex(TokenHash.sha256(plaintext).bytes());
      String key = prefix + "t:" + member;
      String index = prefix + "s:" + subject;
      Map<String, String> fields = new HashMap<>(Map.of("sid", id.value(), "sub", subject,
          "lbl", "Firefox on Linux", "c", KeyLayout.encode(T0), "u", KeyLayout.encode(T0),
          "e", KeyLayout.encode(expiresAt)));
      if (revokedAt != null) {
        fields.put("r", KeyLayout.encode(revokedAt));
      }
      long ttl = Math.max(1, Duration.between(clock.instant(), expiresAt).toMillis() + 1);
      long longest = indexTtl.merge(index, ttl, Math::max);
      // One round trip per record: the test Redis syncs its append-only file on every write.
      try (AbstractPipeline pipeline = redis.raw().pipelined()) {
        pipeline.hset(key, fields);
        pipeline.pexpire(key, ttl);
        pipeline.sadd(index, member);
        pipeline.pexpire(index, longest);
      }
    }
  }
}
