package dev.tokenkeeper.store.redis;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * token-core's contracts (the SPI, the service's promises, the logout races) against a real
 * Redis, over one axis each subclass fixes: the near cache off or on. A reopen closes the store
 * and builds a new one on the same Redis and key prefix, as a restarted instance would.
 */
abstract class RedisContractTest implements RedisContracts {

  @RegisterExtension static final SharedRedis redis = new SharedRedis();
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  /** Each test gets its own key prefix, so tests share one server without seeing each other. */
  final String prefix = "c" + PREFIXES.incrementAndGet() + ":";

  /** The axis: the builder's options beyond URI, prefix and clock. */
  abstract RedisTokenStore.Builder configure(RedisTokenStore.Builder builder);

  @Override
  public long redisMillis() {
    return redis.millis();
  }

  @Override
  public RedisTokenStore.Builder builder(Clock clock) {
    return configure(RedisTokenStore.builder().uri(redis.uri()).keyPrefix(prefix).clock(clock));
  }
}
