package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenStoreContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * token-core's contracts (the SPI, the service's promises, the logout races) on a real
 * three-master Redis Cluster, plus what is the cluster's own: a subject's keys share one slot,
 * subjects spread over every master, and two stores (two instances) share sessions.
 */
class RedisClusterContractTest implements RedisContracts {

  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static Path dir;
  private static RedisCluster cluster;

  /** Each test gets its own key prefix, so tests share one cluster without seeing each other. */
  final String prefix = "k" + PREFIXES.incrementAndGet() + ":";

  @BeforeAll
  static void startCluster() throws Exception {
    dir = Files.createTempDirectory("redis-cluster-");
    cluster = RedisCluster.start(dir);
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
    SharedRedis.delete(dir);
  }

  @Override
  public long redisMillis() {
    return cluster.nodes().get(0).millis();
  }

  @Override
  public RedisTokenStore.Builder builder(Clock clock) {
    return RedisTokenStore.builder().uri(cluster.uri()).keyPrefix(prefix).clock(clock);
  }

  @Test
  void poolStats_sumsThePoolsOfEveryNode() {
    try (RedisTokenStore store = builder(clock()).poolSize(4).build()) {
      TokenStoreContract.createPair(store, "alice");
      RedisPoolStats stats = store.poolStats();
      assertEquals(4 * cluster.nodes().size(), stats.max(), stats.toString());
      assertEquals(0, stats.active(), stats.toString());
      assertEquals(0, stats.waiters(), stats.toString());
      assertTrue(stats.idle() >= 1, stats.toString());
    }
  }

  @Test
  void create_everyKeyOfASubject_sharesOneSlot_andSubjectsSpreadOverEveryMaster() {
    try (RedisTokenStore store = builder(clock()).build()) {
      for (int i = 0; i < 30; i++) {
        TokenStoreContract.createPair(store, "user" + i);
      }
      Set<Integer> masters = new HashSet<>();
      for (int n = 0; n < cluster.nodes().size(); n++) {
        try (Jedis node = new Jedis("127.0.0.1", cluster.nodes().get(n).port())) {
          Set<String> keys = node.keys(prefix + "*");
          for (String key : keys) {
            if (key.contains("{")) {
              masters.add(n);
              String tag = KeyLayout.tagOf(key);
              assertEquals(JedisClusterCRC16.getSlot("{" + tag + "}"),
                  JedisClusterCRC16.getSlot(key), key);
            }
          }
        }
      }
      assertEquals(3, masters.size(), "30 subjects over 3 masters");
    }
  }

  @Test
  void twoStores_issueOnOne_authenticateAndRevokeAllOnTheOther_refusedOnBoth() {
    try (RedisTokenStore a = builder(clock()).build();
        RedisTokenStore b = builder(clock()).build()) {
      TokenService onA = TokenService.builder().store(a).clock(clock()).build();
      TokenService onB = TokenService.builder().store(b).clock(clock()).build();
      IssuedToken first = onA.issue("alice", "phone");
      IssuedToken second = onB.issue("alice", "laptop");
      assertTrue(onB.authenticate(first.plaintext()).isAuthenticated());
      assertTrue(onA.authenticate(second.plaintext()).isAuthenticated());
      assertEquals(2, onB.revokeAll("alice"));
      for (TokenService service : List.of(onA, onB)) {
        for (IssuedToken token : List.of(first, second)) {
          assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
              service.authenticate(token.plaintext()));
        }
      }
    }
  }

  @Test
  void revokeAll_subjectOfThreePages_onTheCluster_revokesEverySession() {
    int sessions = 2 * RedisTokenStore.SUBJECT_BATCH + 3;
    try (RedisTokenStore store = builder(clock()).build()) {
      for (int i = 0; i < sessions; i++) {
        TokenStoreContract.createSingle(store, TokenStoreContract.session("bob"));
      }
      assertEquals(sessions, store.revokeAll("bob", T0.plusSeconds(1)));
      List<SessionRecord> listed = store.findSessions("bob");
      assertEquals(sessions, listed.size());
      assertTrue(listed.stream().allMatch(SessionRecord::isRevoked));
    }
  }

  /**
   * A pointer must never end before what it points to, or a live token reads as unknown: after a
   * use stretches a session, its pointer and each token's live at least as long as its keys.
   */
  @Test
  void touch_stretchesTheSession_pointersLiveAtLeastAsLong() {
    try (RedisTokenStore store = builder(clock()).build()) {
      SessionRecord session = TokenStoreContract.createPair(store, "carol");
      store.touch(session.id(), T0.plusSeconds(1), T0.plus(Duration.ofHours(5)));
      String tag = KeyLayout.tag("carol");
      String root = prefix + "v2:{" + tag + "}:";
      try (RedisClusterClient raw = RedisClusterClient.create(
          new HostAndPort("127.0.0.1", cluster.nodes().get(0).port()))) {
        long sessionTtl = raw.pttl(root + "s:" + session.id());
        assertTrue(sessionTtl > Duration.ofHours(4).toMillis(), "ttl " + sessionTtl);
        assertTrue(raw.pttl(prefix + "v2:ps:" + session.id()) >= sessionTtl - 1_000);
        Set<String> tokens = raw.smembers(root + "k:" + session.id());
        assertEquals(2, tokens.size());
        for (String token : tokens) {
          assertTrue(raw.pttl(prefix + "v2:pt:" + token) >= sessionTtl - 1_000, token);
          assertEquals(tag, raw.get(prefix + "v2:pt:" + token));
        }
      }
    }
  }
}
