package dev.tokenkeeper.metrics.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.store.redis.RedisPoolStats;
import dev.tokenkeeper.store.redis.RedisServer;
import dev.tokenkeeper.store.redis.RedisTokenStore;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RedisStoreMetrics} on a real Redis store: the gauges show the store's own pool, under
 * the documented names. How the pool's figures move under load is token-store-redis's
 * {@code RedisPoolStatsTest}.
 */
class RedisStoreMetricsTest {

  @TempDir Path dir;

  private RedisServer server;
  private RedisTokenStore store;

  @AfterEach
  void stop() {
    if (store != null) {
      store.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void gauges_showTheStoresPool_asPrometheusNamesThem() throws Exception {
    server = RedisServer.start(dir, false);
    store = RedisTokenStore.builder().uri(server.uri()).poolSize(3).build();
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new RedisStoreMetrics(store, Tags.of("store", "sessions")).bindTo(prometheus);
    TokenService tokens = TokenService.builder().store(store).build();
    tokens.authenticate(tokens.issue("alice").plaintext());

    RedisPoolStats pool = store.poolStats();
    assertEquals(0, pool.active());
    assertTrue(pool.idle() >= 1, pool.toString());
    PrometheusPage.assertHolds(prometheus.scrape(),
        "tokenkeeper_store_redis_pool_active{store=\"sessions\"} 0.0",
        "tokenkeeper_store_redis_pool_idle{store=\"sessions\"} " + (double) pool.idle(),
        "tokenkeeper_store_redis_pool_waiters{store=\"sessions\"} 0.0",
        "tokenkeeper_store_redis_pool_max{store=\"sessions\"} 3.0");
  }
}
