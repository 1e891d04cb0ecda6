package dev.tokenkeeper.metrics.micrometer;

import dev.tokenkeeper.store.redis.RedisPoolStats;
import dev.tokenkeeper.store.redis.RedisTokenStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.function.ToIntFunction;

/**
 * Binds a {@link RedisTokenStore}'s connection pool ({@link RedisTokenStore#poolStats()}) to
 * Micrometer as four gauges:
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>shows</th></tr>
 *   <tr><td>{@code tokenkeeper.store.redis.pool.active}</td><td>connections lent to a call</td></tr>
 *   <tr><td>{@code tokenkeeper.store.redis.pool.idle}</td><td>connections open in the pool</td></tr>
 *   <tr><td>{@code tokenkeeper.store.redis.pool.waiters}</td><td>callers waiting for a
 *       connection (each at most the connect timeout, then the call fails)</td></tr>
 *   <tr><td>{@code tokenkeeper.store.redis.pool.max}</td><td>the most connections the pool may
 *       open</td></tr>
 * </table>
 *
 * <pre>{@code
 * new RedisStoreMetrics(redisStore).bindTo(registry);   // or a @Bean: Spring Boot binds it
 * }</pre>
 *
 * <p>Over a Redis Cluster each figure is the sum over the nodes' pools. Unlike Micrometer's
 * {@code CommonsObjectPool2Metrics}, which finds every Commons pool of the JVM in JMX under names
 * such as {@code pool2}, these are the store's own pools and nothing else.
 *
 * <p>token-store-redis is an optional dependency of this module: an application with the Redis
 * store has it, and others never load this class. Holds the store weakly, as Micrometer's
 * binders hold what they measure. Thread-safe; bind it to as many registries as needed.
 */
public final class RedisStoreMetrics implements MeterBinder {

  private final RedisTokenStore store;
  private final Tags tags;

  /**
   * Meters of {@code store}'s pool, without tags.
   *
   * @throws NullPointerException if {@code store} is {@code null}
   */
  public RedisStoreMetrics(RedisTokenStore store) {
    this(store, Tags.empty());
  }

  /**
   * Meters of {@code store}'s pool, each with {@code tags}.
   *
   * @throws NullPointerException if an argument is {@code null}
   */
  public RedisStoreMetrics(RedisTokenStore store, Iterable<Tag> tags) {
    this.store = Objects.requireNonNull(store, "store");
    this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
  }

  /** Registers the gauges on {@code registry}. */
  @Override
  public void bindTo(MeterRegistry registry) {
    gauge(registry, "active", "Redis connections lent to a call", RedisPoolStats::active);
    gauge(registry, "idle", "Redis connections open and idle in the pool", RedisPoolStats::idle);
    gauge(registry, "waiters", "callers waiting for a Redis connection", RedisPoolStats::waiters);
    gauge(registry, "max", "most Redis connections the pool may open", RedisPoolStats::max);
  }

  private void gauge(MeterRegistry registry, String figure, String description,
      ToIntFunction<RedisPoolStats> read) {
    Gauge.builder("tokenkeeper.store.redis.pool." + figure, store,
            s -> read.applyAsInt(s.poolStats()))
        .description(description)
        .tags(tags)
        .register(registry);
  }
}
