package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.TokenService;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientPauseMode;

/** What {@link RedisTokenStore#poolStats()} shows, against calls Redis is made to hold. */
class RedisPoolStatsTest {

  /** A server of its own: CLIENT PAUSE holds every client of the server, not only this test's. */
  @RegisterExtension static final SharedRedis redis = new SharedRedis(false);

  /** Far above what a loaded machine needs: only a hang takes this long. */
  private static final Duration HANG = Duration.ofSeconds(30);

  private RedisTokenStore.Builder builder(int poolSize) {
    // The timeouts outlast the pause, so a held call and a caller waiting for a connection wait
    // for the test, not for a timeout.
    return RedisTokenStore.builder().uri(redis.uri()).keyPrefix("pool:").poolSize(poolSize)
        .connectTimeout(HANG).socketTimeout(HANG);
  }

  @Test
  void poolStats_afterBuild_nothingLent_andTheMaxIsThePoolSize() {
    try (RedisTokenStore store = builder(3).build()) {
      RedisPoolStats stats = store.poolStats();
      assertEquals(0, stats.active());
      assertEquals(0, stats.waiters());
      assertEquals(3, stats.max());
      assertTrue(stats.idle() >= 1 && stats.idle() <= 3, "build() talked to Redis: " + stats);
    }
  }

  @Test
  void poolStats_callsHeldByRedis_countAsActive_andTheCallerBeyondThePoolAsAWaiter()
      throws Exception {
    int pool = 2;
    ExecutorService callers = Executors.newFixedThreadPool(pool + 1);
    URI uri = URI.create(redis.uri());
    try (RedisTokenStore store = builder(pool).build();
        Jedis admin = new Jedis(uri.getHost(), uri.getPort())) {
      TokenService tokens = TokenService.builder().store(store).build();
      List<Future<IssuedToken>> issues = new ArrayList<>();
      // Redis holds back every script that writes until unpaused: each issue keeps its connection.
      admin.clientPause(HANG.toMillis(), ClientPauseMode.WRITE);
      try {
        for (int i = 0; i < pool + 1; i++) {
          issues.add(callers.submit(() -> tokens.issue("alice")));
        }
        RedisPoolStats busy = new RedisPoolStats(pool, 0, 1, pool);
        long deadline = System.nanoTime() + HANG.toNanos();
        while (!store.poolStats().equals(busy)) {
          assertTrue(System.nanoTime() < deadline, "never " + busy + ": " + store.poolStats());
          Thread.onSpinWait();
        }
      } finally {
        admin.clientUnpause();
      }
      for (Future<IssuedToken> issue : issues) {
        issue.get(HANG.toMillis(), TimeUnit.MILLISECONDS);
      }
      assertEquals(new RedisPoolStats(0, pool, 0, pool), store.poolStats());
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void poolStats_afterClose_stillAnswers_withNothingLent() {
    RedisTokenStore store = builder(2).build();
    store.close();
    RedisPoolStats stats = store.poolStats();
    assertEquals(0, stats.active());
    assertEquals(0, stats.waiters());
  }

  @Test
  void redisPoolStats_negativeFigure_isRefused() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> new RedisPoolStats(0, -1, 0, 2));
    assertEquals("idle must not be negative: -1", refused.getMessage());
  }
}
