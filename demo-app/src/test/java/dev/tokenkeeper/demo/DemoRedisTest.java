package dev.tokenkeeper.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.store.redis.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two demo instances behind one Redis ({@code --store redis://...}), as two app servers behind a
 * load balancer: a token issued by one works on the other, and a logout on one holds on both at
 * once (the near cache is off by default).
 */
class DemoRedisTest {

  @TempDir Path temp;

  private RedisServer redis;
  private DemoServer first;
  private DemoServer second;

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start(Files.createDirectories(temp.resolve("redis")), true);
    first = startDemo("a");
    second = startDemo("b");
  }

  private DemoServer startDemo(String name) throws Exception {
    return DemoServer.start(new DemoOptions(0, "127.0.0.1", temp.resolve(name), redis.uri(),
        false), Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    SharedStoreChecks.closeAll(first, second, redis);
  }

  @Test
  void tokenFromOneInstance_worksOnTheOther_andLogoutEverywhereHoldsOnBoth() {
    SharedStoreChecks.tokensWorkOnBoth_andLogoutEverywhereHoldsOnBoth(first, second);
  }

  @Test
  void metrics_showThePoolTheStoreCallsAndAnOutage() throws Exception {
    DemoClient a = new DemoClient(first.uri());
    String token = a.token("alice@example.com", "wonderland");
    assertEquals(200, a.send("GET", "/api/proposals", token, null).statusCode());
    String page = a.send("GET", "/metrics", null, null).body();
    // This instance's own pool (the other instance in this JVM has its own).
    assertEquals(Map.of("tokenkeeper_store_redis_pool_active", 0.0,
            "tokenkeeper_store_redis_pool_waiters", 0.0,
            "tokenkeeper_store_redis_pool_max", 16.0),
        DemoMetricsTest.series(page, name -> name.startsWith("tokenkeeper_store_redis_pool_")
            && !name.endsWith("_idle")));
    assertTrue(page.contains("\ntokenkeeper_store_redis_pool_idle "), page);
    // A store across the network: its lookups are timed too.
    assertTrue(page.contains("tokenkeeper_store_operations_seconds_count"
        + "{operation=\"find\",outcome=\"success\"} 1"), page);

    redis.kill();
    assertEquals(503, a.send("GET", "/api/proposals", token, null).statusCode());
    Map<String, Double> counters =
        DemoMetricsTest.counters(a.send("GET", "/metrics", null, null).body());
    assertEquals(1.0,
        counters.get("tokenkeeper_authentications_total{result=\"unavailable\"}"));
    assertEquals(1.0,
        counters.get("tokenkeeper_store_unavailable_total{operation=\"authenticate\"}"));
  }

  @Test
  void redisDown_answers503_andServesAgainWhenItReturns() throws Exception {
    DemoClient a = new DemoClient(first.uri());
    String token = a.token("alice@example.com", "wonderland");
    redis.kill();
    assertEquals(503, a.send("GET", "/api/proposals", token, null).statusCode());
    assertEquals(503, a.login("bob@example.com", "builder").statusCode());
    redis.startAgain();
    // Redis keeps an append-only file here, so the acknowledged login survived its crash.
    assertEquals(200, a.send("GET", "/api/proposals", token, null).statusCode());
    assertEquals(200, a.login("bob@example.com", "builder").statusCode());
  }
}
