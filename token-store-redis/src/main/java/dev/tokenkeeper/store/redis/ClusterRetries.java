package dev.tokenkeeper.store.redis;

import java.time.Duration;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.StaticCommandFlagsRegistry;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.executors.ClusterCommandExecutor;
import redis.clients.jedis.providers.ClusterConnectionProvider;

/**
 * Jedis's cluster executor, retrying a command only where Redis provably did not run it, within
 * one timeout for the whole call:
 *
 * <ul>
 *   <li>{@code MOVED} (the slot has a new owner) and {@code ASK} (the slot is being moved and the
 *       keys are already on the new owner) are followed, as Jedis does: the node refused the
 *       command before running it.
 *   <li>{@code TRYAGAIN} (the slot is being moved and the command's keys are split between the two
 *       nodes, or some do not exist yet) is sent again on the same node after a short pause,
 *       growing from 2 to 50 ms, until the move of that slot ends (the node then runs it or
 *       answers {@code MOVED}). It too was refused before running.
 *   <li>A connection that fails while the command is sent or awaited is not retried: the command
 *       may have run, and a write run twice is not the same write (a second {@code create} would
 *       find its own session). A failure to get a connection at all (nothing was sent) is still
 *       retried by Jedis on the refreshed slot map.
 * </ul>
 *
 * <p>Everything stops at {@code budget} (the socket timeout) from the call's start: Jedis's own
 * deadline for redirects and connections, and this one for {@code TRYAGAIN}.
 *
 * <p>Thread-safe, as Jedis's.
 */
final class ClusterRetries extends ClusterCommandExecutor {

  /** Redirects followed in one call, at most: a slot moves once at a time. */
  static final int ATTEMPTS = 5;

  private final Duration budget;

  ClusterRetries(ClusterConnectionProvider provider, Duration budget) {
    super(provider, ATTEMPTS, budget, StaticCommandFlagsRegistry.registry());
    this.budget = budget;
  }

  @Override
  protected <T> T execute(Connection connection, CommandObject<T> command) {
    long deadline = System.nanoTime() + budget.toNanos();
    long pause = 2;
    while (true) {
      try {
        return super.execute(connection, command);
      } catch (JedisConnectionException e) {
        // Jedis would retry it; it may have run. Its cause is kept: a timeout stays a timeout.
        throw new JedisClusterOperationException(e.getMessage(), e, connection.getHostAndPort());
      } catch (JedisDataException e) {
        if (!isTryAgain(e) || System.nanoTime() + pause * 1_000_000 > deadline) {
          throw e;
        }
      }
      try {
        Thread.sleep(pause); // the slot's move is under way on the nodes; nothing to wait on here
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new JedisClusterOperationException("interrupted while a slot moved", e);
      }
      pause = Math.min(pause * 2, 50);
    }
  }

  /** Whether {@code e} is Redis's {@code TRYAGAIN}: a multi-key command refused mid-move. */
  static boolean isTryAgain(JedisDataException e) {
    return e.getMessage() != null && e.getMessage().startsWith("TRYAGAIN");
  }
}
