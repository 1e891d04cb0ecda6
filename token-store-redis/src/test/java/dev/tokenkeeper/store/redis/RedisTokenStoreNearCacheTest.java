package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The token-core contract with the near cache on: the cache must not change any outcome. */
class RedisTokenStoreNearCacheTest implements TokenStoreContract {

  @TempDir
  static Path dir;
  static RedisServer server;
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  private final String prefix = "n" + PREFIXES.incrementAndGet() + ":";
  private final MutableClock clock = new MutableClock(T0);

  @BeforeAll
  static void startRedis() throws IOException {
    server = RedisServer.start(dir, true);
  }

  @AfterAll
  static void stopRedis() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  public TokenStore newStore() {
    return RedisTokenStore.builder().uri(server.uri()).keyPrefix(prefix).clock(clock)
        .nearCacheTtl(Duration.ofSeconds(2)).build();
  }

  @Override
  public TokenStore reopen(TokenStore store) {
    store.close();
    return newStore();
  }
}
