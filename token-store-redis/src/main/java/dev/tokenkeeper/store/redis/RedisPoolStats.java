package dev.tokenkeeper.store.redis;

/**
 * How a {@link RedisTokenStore}'s connection pool is used, for monitoring: connections lent to a
 * call, connections waiting in the pool, callers waiting for a connection, and the most the pool
 * may open. Over a Redis Cluster, the sum over the pools of the nodes the client knows (one per
 * node). Taken by {@link RedisTokenStore#poolStats()}.
 *
 * <pre>{@code
 * RedisPoolStats pool = store.poolStats();
 * if (pool.waiters() > 0) {
 *   log.warn("{} of {} Redis connections busy, {} callers waiting", pool.active(), pool.max(),
 *       pool.waiters());
 * }
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param active connections lent to a call right now
 * @param idle connections open and waiting in the pool
 * @param waiters callers waiting for a connection because every one the pool may open is lent
 *     (each waits at most the connect timeout)
 * @param max the most connections the pool may have open: the builder's {@code poolSize} (times
 *     the nodes, over a cluster)
 */
public record RedisPoolStats(int active, int idle, int waiters, int max) {

  /**
   * Validates every figure.
   *
   * @throws IllegalArgumentException if a figure is negative
   */
  public RedisPoolStats {
    requireNonNegative("active", active);
    requireNonNegative("idle", idle);
    requireNonNegative("waiters", waiters);
    requireNonNegative("max", max);
  }

  private static void requireNonNegative(String name, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must not be negative: " + value);
    }
  }
}
