package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenService;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientPauseMode;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Redis going away and coming back: calls fail fast with {@link StoreUnavailableException} (never
 * hang, never authenticate), and the same store serves again once Redis answers.
 */
class RedisOutageTest {

  /**
   * Connect and socket timeouts: far above what a loaded two-core machine needs to answer a
   * command with {@code appendfsync always}, so only an outage ends a call with them.
   */
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  /** Far above the timeouts (a read may take two): only a hang can take this long. */
  private static final Duration HANG = Duration.ofSeconds(30);
  private static final int POOL = 4;

  @TempDir
  Path dir;
  private RedisServer server;
  private RedisTokenStore store;
  private TokenService tokens;

  @BeforeEach
  void start() throws Exception {
    server = RedisServer.start(dir, true);
    store = builder().poolSize(POOL).build();
    tokens = TokenService.builder().store(store).build();
  }

  @AfterEach
  void stop() throws Exception {
    if (store != null) {
      try {
        store.close();
      } catch (StoreUnavailableException e) {
        // Redis may be down in a failed test; close still released the pool.
      }
    }
    if (server != null) {
      server.resume();
      server.close();
    }
  }

  @Test
  void authenticate_redisKilled_throwsStoreUnavailableFast_thenServesWhenRedisReturns()
      throws Exception {
    IssuedToken issued = tokens.issue("alice");
    assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());

    server.kill();
    StoreUnavailableException e = assertTimeoutPreemptively(HANG, () -> assertThrows(
        StoreUnavailableException.class, () -> tokens.authenticate(issued.plaintext())));
    assertTrue(e.getMessage().contains("Redis at 127.0.0.1:" + server.port()), e.getMessage());
    assertInstanceOf(JedisException.class, e.getCause());
    assertTimeoutPreemptively(HANG, () -> assertThrows(
        StoreUnavailableException.class, () -> tokens.issue("bob")));
    assertTimeoutPreemptively(HANG, () -> assertThrows(
        StoreUnavailableException.class, () -> tokens.revokeAll("alice")));

    server.startAgain();
    assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated(),
        "the same store serves again, the token kept by the append-only file");
    assertTrue(tokens.authenticate(tokens.issue("bob").plaintext()).isAuthenticated());
  }

  @Test
  void build_whileRedisIsDown_succeeds_callsFail_thenServeOnceRedisStarts() throws Exception {
    server.kill();
    try (RedisTokenStore early = builder().build()) {
      TokenService onEarly = TokenService.builder().store(early).build();
      assertTimeoutPreemptively(HANG, () -> assertThrows(
          StoreUnavailableException.class, () -> onEarly.issue("alice")));
      server.startAgain();
      assertTrue(onEarly.authenticate(onEarly.issue("alice").plaintext()).isAuthenticated());
    }
  }

  @Test
  void traffic_redisKilledMidway_everyCallEndsAuthenticatedOrUnavailable_noneHangs()
      throws Exception {
    IssuedToken issued = tokens.issue("alice");
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger unavailable = new AtomicInteger();
    ConcurrentLinkedQueue<Object> wrong = new ConcurrentLinkedQueue<>();
    CountDownLatch running = new CountDownLatch(threads);
    CountDownLatch sawOutage = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        futures.add(pool.submit(() -> {
          running.countDown();
          while (!stop.get()) {
            try {
              AuthResult result = tokens.authenticate(issued.plaintext());
              if (!result.isAuthenticated()) {
                wrong.add(result);
              }
            } catch (StoreUnavailableException e) {
              unavailable.incrementAndGet();
              sawOutage.countDown();
            } catch (RuntimeException e) {
              wrong.add(e);
            }
          }
        }));
      }
      assertTrue(running.await(5, TimeUnit.SECONDS));
      server.kill();
      assertTrue(sawOutage.await(5, TimeUnit.SECONDS), "no call failed after Redis died");
      server.startAgain();
      assertTimeoutPreemptively(HANG, () -> {
        while (!tokens.authenticate(issued.plaintext()).isAuthenticated()) {
          Thread.onSpinWait();
        }
      });
      stop.set(true);
      for (Future<?> future : futures) {
        future.get(HANG.toMillis(), TimeUnit.MILLISECONDS);
      }
    } finally {
      stop.set(true);
      pool.shutdownNow();
    }
    assertEquals(List.of(), List.copyOf(wrong));
    assertTrue(unavailable.get() > 0);
  }

  /**
   * Redis restarts while nobody calls, so every pooled connection points at the dead process: the
   * first call, a write, is not sent on one of them. Each idle connection is proved dead by PING
   * and dropped, and the write goes on a fresh connection: no failure at all.
   */
  @Test
  void issue_firstCallAfterRestartWithNoTraffic_succeeds() throws Exception {
    IssuedToken before = tokens.issue("alice");
    restartWithEveryPooledConnectionDead();

    IssuedToken issued = assertTimeoutPreemptively(HANG, () -> tokens.issue("bob"));

    assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());
    assertTrue(tokens.authenticate(before.plaintext()).isAuthenticated(),
        "kept by the append-only file");
  }

  @Test
  void revokeAll_firstCallAfterRestartWithNoTraffic_succeeds() throws Exception {
    IssuedToken issued = tokens.issue("alice");
    restartWithEveryPooledConnectionDead();

    int revoked = assertTimeoutPreemptively(HANG, () -> tokens.revokeAll("alice"));

    assertEquals(1, revoked);
    assertFalse(tokens.authenticate(issued.plaintext()).isAuthenticated());
  }

  @Test
  void logout_firstCallAfterRestartWithNoTraffic_succeeds() throws Exception {
    IssuedToken issued = tokens.issue("alice");
    restartWithEveryPooledConnectionDead();

    assertTrue(assertTimeoutPreemptively(HANG, () -> tokens.revoke(issued.plaintext())));

    assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
        tokens.authenticate(issued.plaintext()));
  }

  /**
   * Frozen Redis, connection just used: the command's socket timeout ends the call, and nothing
   * retries after a timeout (a retry's new connection would time out in its handshake again).
   */
  @Test
  void authenticate_redisFrozen_connectionJustUsed_failsWithinOneTimeout() throws Exception {
    IssuedToken issued = tokens.issue("alice");
    server.pause();
    try {
      assertFailsWithinOneTimeout(() -> tokens.authenticate(issued.plaintext()));
      assertFailsWithinOneTimeout(() -> tokens.issue("bob"));
    } finally {
      server.resume();
    }
    assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());
  }

  /**
   * Frozen Redis, every pooled connection idle: the PING that checks the first one times out,
   * and the call fails then, without trying the others or opening a new connection.
   */
  @Test
  void authenticate_redisFrozen_connectionsIdle_failsWithinOneTimeout() throws Exception {
    IssuedToken issued = tokens.issue("alice");
    fillPoolWithIdleConnections();
    server.pause();
    try {
      assertFailsWithinOneTimeout(() -> tokens.authenticate(issued.plaintext()));
    } finally {
      server.resume();
    }
    assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());
  }

  @Test
  void touch_mapOverflowsWhileRedisIsDown_dropsTheOwedWrites_countedAndWarned() throws Exception {
    int max = 2;
    try (RedisTokenStore small = builder().touchPersistInterval(Duration.ofHours(1))
        .touchMapMaxEntries(max).build()) {
      TokenService onSmall = TokenService.builder().store(small).build();
      List<Session> sessions = new ArrayList<>();
      for (int i = 0; i <= max; i++) {
        sessions.add(onSmall.issue("alice").session());
      }
      server.kill();
      Instant now = Instant.now();
      for (Session session : sessions.subList(0, max)) {
        // The first touch of a session is written at once; Redis is down, so it is owed.
        small.touch(session.id(), now, session.expiresAt());
      }
      assertEquals(0, small.droppedTouches());

      small.touch(sessions.get(max).id(), now, sessions.get(max).expiresAt());

      assertEquals(max, small.droppedTouches(), "the full map was cleared with two writes owed");
      List<String> warnings = CapturedLogs.texts(Level.WARN,
          "touch map full (" + max + " sessions)");
      assertEquals(1, warnings.size(), warnings.toString());
      assertTrue(warnings.get(0).contains("dropped 2 sliding-expiry updates"), warnings.get(0));
      server.startAgain();
    }
  }

  /**
   * Connections idle for 1 ms or more are checked with PING, so each restart here counts as
   * "nobody called for a while" (the default window is half a second).
   */
  private RedisTokenStore.Builder builder() {
    return RedisTokenStore.builder().uri(server.uri()).connectTimeout(TIMEOUT)
        .socketTimeout(TIMEOUT).idleWindow(Duration.ofMillis(1));
  }

  private void restartWithEveryPooledConnectionDead() throws Exception {
    fillPoolWithIdleConnections();
    server.kill();
    server.startAgain();
  }

  /**
   * Leaves {@link #POOL} idle connections in the store's pool: Redis holds back every script
   * (CLIENT PAUSE WRITE) while as many issues run at once, so each needs a connection of its own;
   * once Redis sees them all, it lets them finish and they go back to the pool.
   */
  private void fillPoolWithIdleConnections() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(POOL);
    try (Jedis admin = new Jedis("127.0.0.1", server.port())) {
      admin.clientPause(HANG.toMillis(), ClientPauseMode.WRITE);
      List<Future<IssuedToken>> issues = new ArrayList<>();
      try {
        for (int i = 0; i < POOL; i++) {
          issues.add(pool.submit(() -> tokens.issue("filler")));
        }
        long deadline = System.nanoTime() + HANG.toNanos();
        while (connections(admin) < POOL) {
          assertTrue(System.nanoTime() < deadline, "the issues never all reached Redis");
          Thread.onSpinWait();
        }
      } finally {
        admin.clientUnpause();
      }
      for (Future<IssuedToken> issue : issues) {
        issue.get(HANG.toMillis(), TimeUnit.MILLISECONDS);
      }
      assertEquals(POOL, connections(admin), "the pool keeps every connection idle");
    } finally {
      pool.shutdownNow();
    }
  }

  private static long connections(Jedis admin) {
    return admin.clientList().lines().filter(line -> line.contains(" name=tokenkeeper ")).count();
  }

  /**
   * Asserts that {@code call} fails as unavailable within 1.75 timeouts: one timeout and
   * scheduling, never two.
   */
  private static void assertFailsWithinOneTimeout(Executable call) {
    long start = System.nanoTime();
    assertTimeoutPreemptively(HANG, () -> assertThrows(StoreUnavailableException.class, call));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertTrue(took.compareTo(TIMEOUT.multipliedBy(7).dividedBy(4)) < 0,
        "took " + took + " with a " + TIMEOUT + " timeout");
  }
}
