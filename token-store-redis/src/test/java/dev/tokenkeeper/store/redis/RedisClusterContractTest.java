package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AcknowledgedStore;
import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenServiceContract;
import dev.tokenkeeper.core.TokenStoreContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.params.MigrateParams;
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
   * A reshard moves the slot of one subject's keys, a few keys at a time, while a writer issues,
   * refreshes, authenticates and logs out on that subject. Nothing the store acknowledged is lost
   * (the harness's validation reopens and checks every write), a call the move got in the way of
   * for longer than the socket timeout fails typed ({@link StoreUnavailableException}) and whole
   * or not at all, never otherwise, and once the slot has its new owner nothing is refused: an
   * instance idle throughout, whose slot map is stale, is redirected ({@code MOVED}) and served.
   */
  @Test
  void reshard_ofASubjectsSlot_whileAWriterRuns_losesNoAcknowledgedWrite() throws Exception {
    AcknowledgedStore store = open();
    TokenService tokens = TokenService.builder().store(store).clock(clock()).build();
    int slot = JedisClusterCRC16.getSlot("{" + KeyLayout.tag("mover") + "}");
    AtomicInteger done = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> unexpected = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      while (!stop.get()) {
        try {
          IssuedPair pair = tokens.issuePair("mover", null, TokenServiceContract.CLIENT);
          IssuedPair next = TokenServiceContract.refreshed(
              tokens.refresh(pair.refreshPlaintext(), TokenServiceContract.CLIENT));
          assertTrue(tokens.authenticate(next.access().plaintext()).isAuthenticated());
          if (done.get() % 3 == 0) {
            assertTrue(tokens.revoke(next.access().plaintext()));
          }
          done.incrementAndGet();
        } catch (StoreUnavailableException e) {
          refused.incrementAndGet();
        } catch (Throwable e) {
          unexpected.set(e);
          return;
        }
      }
    }, "reshard-writer");
    // A second instance, idle while the slot moves: its slot map is stale when it next calls.
    TokenService idle = TokenService.builder().store(open()).clock(clock()).build();
    IssuedToken before = idle.issue("mover", "idle during the move");
    writer.start();
    int refusedOnceMoved;
    try {
      assertTrue(awaitMore(done, 5, Duration.ofSeconds(20)), "the writer is stuck");
      int to = (cluster.ownerOf(slot) + 1) % cluster.nodes().size();
      cluster.moveSlot(slot, to, 3, () -> awaitMore(done, 1, Duration.ofMillis(300)));
      assertEquals(to, cluster.ownerOf(slot));
      // Every round begun after this one is wholly after the move (one writer, in sequence).
      assertTrue(awaitMore(done, 1, Duration.ofSeconds(20)), "the writer is stuck");
      refusedOnceMoved = refused.get();
      assertTrue(awaitMore(done, 5, Duration.ofSeconds(20)), "the writer is stuck");
    } finally {
      stop.set(true);
      writer.join(Duration.ofSeconds(20).toMillis());
    }
    assertNull(unexpected.get(), () -> "writer failed: " + unexpected.get());
    assertEquals(refusedOnceMoved, refused.get(), "refused after the move");
    assertTrue(idle.authenticate(before.plaintext()).isAuthenticated(), "MOVED not followed");
    assertTrue(idle.revoke(before.plaintext()));
    System.out.println("reshard: " + done.get() + " rounds acknowledged, " + refused.get()
        + " refused while the slot moved (TRYAGAIN past the socket timeout)");
  }

  /** Waits, at most {@code limit}, until {@code counter} has grown by {@code more}; whether so. */
  private static boolean awaitMore(AtomicInteger counter, int more, Duration limit) {
    int target = counter.get() + more;
    long deadline = System.nanoTime() + limit.toNanos();
    while (counter.get() < target) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.onSpinWait();
    }
    return true;
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

  /**
   * Logout everywhere stays final while a subject's slot moves between masters. During a move a
   * script runs on whichever node holds the keys it names (KEYS), and a key it reads by prefix
   * (the subject's marker) may already be, or still be, on the other node: there it reads as
   * absent. The moves are driven key by key, so each step is forced, not raced.
   */
  @Test
  void reshard_touchBesideAMovedMarker_neverOutlivesLogoutEverywhere() throws Exception {
    String subject = "{x}"; // braces in a subject: its keys still share one slot of their own
    Clock clock = Clock.systemUTC();
    try (RedisTokenStore store = RedisTokenStore.builder().uri(cluster.uri()).keyPrefix(prefix)
        .clock(clock).socketTimeout(Duration.ofMillis(300)).build()) {
      Instant now = clock.instant();
      Session session = new Session(TokenStoreContract.session(subject).id(), subject,
          "device", now, now, now.plusSeconds(3));
      SessionRecord record = SessionRecord.of(session, null, null);
      TokenRecord token = TokenRecord.of(TokenStoreContract.randomHash(), record.id());
      store.create(record, List.of(token));

      KeyLayout at = KeyLayout.cluster(prefix).of(subject);
      String index = at.indexKey(subject);
      String marker = at.markerKey(subject);
      int slot = JedisClusterCRC16.getSlot(marker);
      int first = cluster.ownerOf(slot);
      int second = (first + 1) % cluster.nodes().size();

      // Move 1: the index and marker go first; logout everywhere then runs where they are,
      // while the session is still on the old node.
      begin(slot, first, second);
      migrate(first, second, index, marker);
      store.revokeAll(subject, clock.instant());
      finish(slot, first, second);
      assertNotNull(store.findSession(record.id()).orElseThrow().revokedAt(),
          "logout everywhere holds once the move ends");

      // Move 2, back: everything but the marker goes first; a use of the session then arrives.
      begin(slot, second, first);
      migrate(second, first, at.sessionKey(record.id()), at.tokensOfKey(record.id()),
          at.tokenKey(token.hash()), index);
      store.touch(record.id(), clock.instant(), clock.instant().plus(Duration.ofHours(1)));
      finish(slot, second, first);
      assertNotNull(store.findSession(record.id()).orElseThrow().revokedAt());

      // The marker ends with the session as it was at the logout; the session must not outlast it.
      try (Jedis owner = node(first)) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (owner.exists(marker)) {
          assertTrue(System.nanoTime() < deadline, "marker never expired");
          Thread.sleep(50); // polling Redis's expiry of a key, a condition checked each round
        }
      }
      Optional<SessionRecord> after = store.findSession(record.id());
      assertTrue(after.isEmpty() || after.get().revokedAt() != null,
          () -> "revoked session alive again once its marker expired: " + after);
      assertEquals(Optional.empty(), store.find(token.hash()).filter(
          found -> found.session().revokedAt() == null), "its token authenticates again");
    }
  }

  @Test
  void reshard_listingBesideAMovedIndex_neverHidesASessionFromLogoutEverywhere() {
    String subject = "a}b";
    try (RedisTokenStore store = builder(clock()).build()) {
      SessionRecord record = TokenStoreContract.session(subject);
      TokenRecord token = TokenStoreContract.createSingle(store, record);
      KeyLayout at = KeyLayout.cluster(prefix).of(subject);
      String index = at.indexKey(subject);
      int slot = JedisClusterCRC16.getSlot(index);
      int first = cluster.ownerOf(slot);
      int second = (first + 1) % cluster.nodes().size();

      // The index and marker move first; the session is listed while still on the old node.
      begin(slot, first, second);
      migrate(first, second, index, at.markerKey(subject));
      store.findSessions(subject);
      finish(slot, first, second);

      store.revokeAll(subject, T0.plusSeconds(1));
      assertNotNull(store.findSession(record.id()).orElseThrow().revokedAt(),
          "logout everywhere missed a session listed mid-move");
      assertTrue(store.find(token.hash()).orElseThrow().session().isRevoked());
    }
  }

  /**
   * A refresh whose pointer step fails (the node holding the session's pointer stalls) must not
   * leave the session's tokens findable by their own pointers once the session's pointer has
   * ended: a logout through another instance would then not find the session.
   */
  @Test
  void rotate_whoseSessionPointerStalls_neverLeavesATokenNoLogoutCanReach() throws Exception {
    try (RedisTokenStore a = builder(clock()).socketTimeout(Duration.ofMillis(300)).build()) {
      TokenRecord refresh = TokenStoreContract.token(TokenStoreContract.session("x").id());
      SessionRecord record = null;
      int stalled = -1;
      for (int i = 0; record == null; i++) {
        Session session = new Session(refresh.sessionId(), "user" + i, "device", T0, T0,
            T0.plusSeconds(2));
        KeyLayout layout = KeyLayout.cluster(prefix);
        stalled = nodeOf(layout.sessionPointer(session.id()));
        if (nodeOf(layout.of(session.subject()).root()) != stalled) {
          record = SessionRecord.of(session, null, refresh.hash());
        }
      }
      a.create(record, List.of(refresh));
      Rotation rotation;
      do {
        rotation = TokenStoreContract.rotation(record, T0);
      } while (nodeOf(KeyLayout.cluster(prefix).tokenPointer(rotation.refresh().hash()))
          == stalled
          || nodeOf(KeyLayout.cluster(prefix).tokenPointer(rotation.access().hash()))
          == stalled);

      try (Jedis node = node(stalled)) {
        node.sendCommand(Protocol.Command.CLIENT, "PAUSE", "5000", "WRITE");
        try {
          a.rotate(rotation);
        } catch (StoreUnavailableException e) {
          // the stalled node did not answer within the timeout
        } finally {
          node.sendCommand(Protocol.Command.CLIENT, "UNPAUSE");
        }
        String pointer = KeyLayout.cluster(prefix).sessionPointer(record.id());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (node.exists(pointer) && node.pttl(pointer) < 10_000) {
          assertTrue(System.nanoTime() < deadline, "session pointer never expired");
          Thread.sleep(50); // polling Redis's expiry of a key, a condition checked each round
        }
      }
      try (RedisTokenStore b = builder(clock()).build()) {
        b.revokeSession(record.id(), T0.plusSeconds(1));
        assertTrue(b.find(rotation.access().hash()).map(found -> found.session().isRevoked())
            .orElse(true), "logout through another instance missed the session");
      }
    }
  }

  private static int nodeOf(String key) {
    return cluster.ownerOf(JedisClusterCRC16.getSlot(key));
  }

  private static Jedis node(int n) {
    return new Jedis("127.0.0.1", cluster.nodes().get(n).port());
  }

  /** Marks {@code slot} importing at {@code to} and migrating at {@code from}. */
  private static void begin(int slot, int from, int to) {
    try (Jedis src = node(from); Jedis dst = node(to)) {
      dst.clusterSetSlotImporting(slot, src.clusterMyId());
      src.clusterSetSlotMigrating(slot, dst.clusterMyId());
    }
  }

  private static void migrate(int from, int to, String... keys) {
    try (Jedis src = node(from)) {
      src.migrate("127.0.0.1", cluster.nodes().get(to).port(), 0, 5_000, new MigrateParams(),
          keys);
    }
  }

  /** Moves the rest of {@code slot}'s keys and tells every node that {@code to} owns it. */
  private static void finish(int slot, int from, int to) {
    try (Jedis src = node(from); Jedis dst = node(to)) {
      List<String> rest;
      while (!(rest = src.clusterGetKeysInSlot(slot, 100)).isEmpty()) {
        migrate(from, to, rest.toArray(new String[0]));
      }
      String owner = dst.clusterMyId();
      for (int n = 0; n < cluster.nodes().size(); n++) {
        try (Jedis each = node(n)) {
          each.clusterSetSlotNode(slot, owner);
        }
      }
    }
  }
}
