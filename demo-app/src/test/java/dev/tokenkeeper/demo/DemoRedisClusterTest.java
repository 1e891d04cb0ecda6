package dev.tokenkeeper.demo;

import dev.tokenkeeper.store.redis.RedisCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two demo instances on one three-master Redis Cluster
 * ({@code --store redis-cluster://HOST:PORT,...}): a token issued by one works on the other, and
 * a logout everywhere on one is final on both at once.
 */
class DemoRedisClusterTest {

  @TempDir Path temp;

  private RedisCluster cluster;
  private DemoServer first;
  private DemoServer second;

  @BeforeEach
  void start() throws Exception {
    cluster = RedisCluster.start(Files.createDirectories(temp.resolve("cluster")));
    first = startDemo("a");
    second = startDemo("b");
  }

  private DemoServer startDemo(String name) throws Exception {
    return DemoServer.start(new DemoOptions(0, "127.0.0.1", temp.resolve(name), cluster.uri(),
        false), Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    SharedStoreChecks.closeAll(first, second, cluster);
  }

  @Test
  void tokenFromOneInstance_worksOnTheOther_andLogoutEverywhereHoldsOnBoth() {
    SharedStoreChecks.tokensWorkOnBoth_andLogoutEverywhereHoldsOnBoth(first, second);
  }
}
