package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenService;
import java.nio.file.Path;
import java.time.Duration;
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
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Redis going away and coming back: calls fail fast with {@link StoreUnavailableException} (never
 * hang, never authenticate), and the same store serves again once Redis answers.
 */
class RedisOutageTest {

  /** Far above the configured 300 ms timeouts: only a hang can take this long. */
  private static final Duration HANG = Duration.ofSeconds(5);

  @TempDir
  Path dir;
  private RedisServer server;
  private RedisTokenStore store;
  private TokenService tokens;

  @BeforeEach
  void start() throws Exception {
    server = RedisServer.start(dir, true);
    store = RedisTokenStore.builder().uri(server.uri())
        .connectTimeout(Duration.ofMillis(300)).socketTimeout(Duration.ofMillis(300))
        .poolSize(4).build();
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
  void find_redisFrozen_socketTimeoutEndsTheCall_thenServesWhenRedisResumes() throws Exception {
    IssuedToken issued = tokens.issue("alice");
    server.pause();
    try {
      assertTimeoutPreemptively(HANG, () -> assertThrows(
          StoreUnavailableException.class, () -> tokens.authenticate(issued.plaintext())));
    } finally {
      server.resume();
    }
    assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());
  }

  @Test
  void build_whileRedisIsDown_succeeds_callsFail_thenServeOnceRedisStarts() throws Exception {
    server.kill();
    try (RedisTokenStore early = RedisTokenStore.builder().uri(server.uri())
        .connectTimeout(Duration.ofMillis(300)).socketTimeout(Duration.ofMillis(300)).build()) {
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
}
