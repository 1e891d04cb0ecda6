package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apache.commons.pool2.impl.GenericObjectPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.ScanIteration;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.args.ExpiryOption;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.Tuple;

/**
 * The one way the store talks to Redis: each command or script runs on a pooled connection, and
 * every failure becomes a {@link StoreUnavailableException} naming the operation and the server
 * ({@code host:port}, never the password), Jedis's exception kept as the cause. Timeouts bound
 * every call (set on the client when it is built), so nothing here waits longer.
 *
 * <p>One timeout bounds a call: a timeout (Redis frozen or unreachable) is never retried. A
 * connection idle in the pool for a while is proved alive by {@code PING} before anything is sent
 * on it ({@link CheckedConnections}), so after a Redis restart with no traffic the first call,
 * a write too, goes on a fresh connection. A connection that dies under traffic fails its call
 * at once (end of stream, reset); the pool then drops its idle connections, which may be as dead
 * (a restart kills them all), and a {@link #read} is tried once more on a fresh one; a
 * {@link #write} is not, since its first attempt may have landed.
 *
 * <p>Thread-safe.
 */
final class RedisCommands implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RedisCommands.class);

  /**
   * Runs a cluster pipeline's per-node work on the calling thread, one node after another: Jedis
   * would otherwise start a pool of threads for every pipeline that spans nodes.
   */
  private static final ExecutorService CALLER_RUNS = new AbstractExecutorService() {
    @Override
    public void execute(Runnable task) {
      task.run();
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return false;
    }
  };

  private final UnifiedJedis redis;
  private final CheckedConnections connections;
  private final String server;

  /** Over a standalone Redis whose pool makes its connections with {@code connections}. */
  RedisCommands(RedisClient redis, CheckedConnections connections, String server) {
    this.redis = redis;
    this.connections = connections;
    this.server = server;
  }

  /** Over a Redis Cluster; {@code servers} names the nodes given. */
  RedisCommands(RedisClusterClient redis, String servers) {
    this.redis = redis;
    this.connections = null;
    this.server = servers;
  }

  /** The server as {@code host:port} (a cluster: the nodes given, comma-separated). */
  String server() {
    return server;
  }

  /**
   * The pool's figures; over a cluster, the sum over every node's pool. Read from the pools'
   * own counters without borrowing anything, so cheap enough for every scrape.
   */
  RedisPoolStats poolStats() {
    Collection<? extends GenericObjectPool<Connection>> pools =
        redis instanceof RedisClient standalone
            ? List.of(standalone.getPool())
            : ((RedisClusterClient) redis).getClusterNodes().values();
    int active = 0;
    int idle = 0;
    int waiters = 0;
    int max = 0;
    for (GenericObjectPool<Connection> pool : pools) {
      // Each read apart: a connection lent between two reads may count as both, or neither.
      active += Math.max(0, pool.getNumActive());
      idle += pool.getNumIdle();
      waiters += pool.getNumWaiters();
      max += Math.max(0, pool.getMaxTotal());
    }
    return new RedisPoolStats(active, idle, waiters, max);
  }

  /** Whether this runs over a Redis Cluster. */
  boolean isCluster() {
    return redis instanceof RedisClusterClient;
  }

  /**
   * {@code INFO} (its default sections) of every primary: one for a standalone Redis, each
   * master of a cluster. Jedis's exceptions pass through untranslated.
   */
  List<String> infoOfEveryPrimary() {
    if (!(redis instanceof RedisClusterClient cluster)) {
      String info = unchecked(r -> r.info());
      return List.of(info);
    }
    List<String> infos = new ArrayList<>();
    for (ConnectionPool pool : cluster.getClusterNodes().values()) {
      try (Connection connection = pool.getResource()) {
        Jedis node = new Jedis(connection);
        String info = node.info();
        if (info.contains("role:master")) {
          infos.add(info);
        }
      }
    }
    return infos;
  }

  /**
   * Runs a command or script that changes nothing: a dead connection (not a timeout) is tried
   * once more on a fresh one.
   */
  <T> T read(String operation, Function<UnifiedJedis, T> command) {
    try {
      return unchecked(command);
    } catch (JedisException e) {
      if (!isConnectionFailure(e) || CheckedConnections.isTimeout(e)) {
        throw unavailable(operation, e);
      }
      // Died under traffic (a restart): one retry on a new connection saves the request, and a
      // second failure means Redis is really down.
      dropIdleConnections();
    }
    return write(operation, command);
  }

  /** Runs a command or script once. */
  <T> T write(String operation, Function<UnifiedJedis, T> command) {
    try {
      return unchecked(command);
    } catch (JedisException e) {
      if (isConnectionFailure(e) && !CheckedConnections.isTimeout(e)) {
        dropIdleConnections();
      }
      throw unavailable(operation, e);
    }
  }

  /**
   * Whether {@code e} means Redis could not be reached or stopped answering (not an error
   * reply); a cluster wraps it in its own exception, so the whole chain is looked at.
   */
  static boolean isConnectionFailure(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof JedisConnectionException) {
        return true;
      }
    }
    return false;
  }

  /** Runs a command once, Jedis's exceptions passed through untranslated. */
  <T> T unchecked(Function<UnifiedJedis, T> command) {
    try {
      return command.apply(redis);
    } finally {
      if (connections != null) {
        connections.forget();
      }
    }
  }

  /** Runs {@code script} once. */
  Object write(LuaScript script, List<String> keys, List<String> args) {
    return write(script.name(), r -> script.run(r, keys, args));
  }

  /** Runs {@code script}, which changes nothing Redis would not redo, as a {@link #read}. */
  Object read(LuaScript script, List<String> keys, List<String> args) {
    return read(script.name(), r -> script.run(r, keys, args));
  }

  /**
   * Walks every key matching the glob {@code pattern} with {@code SCAN} ({@code batch} at a time,
   * so Redis is never blocked for long; on a cluster, node after node) and hands each non-empty
   * page to {@code action}.
   *
   * @return the sum of what {@code action} returned
   */
  long scan(String pattern, int batch, ToLongFunction<List<String>> action) {
    ScanIteration keys = redis.scanIteration(batch, pattern);
    long sum = 0;
    while (!read("scan", r -> keys.isIterationCompleted())) {
      ScanResult<String> batchRead = read("scan", r -> keys.nextBatch());
      List<String> page = batchRead.getResult();
      if (!page.isEmpty()) {
        sum += action.applyAsLong(page);
      }
    }
    return sum;
  }

  /**
   * Walks every member of the sorted set {@code key} with {@code ZSCAN} ({@code batch} at a time)
   * and hands each non-empty page of members to {@code action}. A member present throughout is
   * handed over at least once; one added or removed meanwhile may or may not be.
   *
   * @return the sum of what {@code action} returned
   */
  long scanSorted(String key, int batch, ToLongFunction<List<String>> action) {
    ScanParams params = new ScanParams().count(batch);
    long sum = 0;
    String cursor = ScanParams.SCAN_POINTER_START;
    do {
      String at = cursor;
      ScanResult<Tuple> page = read("zscan", r -> r.zscan(key, at, params));
      if (!page.getResult().isEmpty()) {
        List<String> members = new ArrayList<>(page.getResult().size());
        page.getResult().forEach(tuple -> members.add(tuple.getElement()));
        sum += action.applyAsLong(members);
      }
      cursor = page.getCursor();
    } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
    return sum;
  }

  /**
   * Gives every one of {@code keys} a TTL of at least {@code ttl} ms ({@code PEXPIRE GT}, never
   * shortening one), in one pipeline: on a cluster one round trip per node, not one per key, so
   * the cost of stretching a session's pointers does not grow with its count of tokens in round
   * trips. Jedis's exceptions pass through untranslated (call it inside {@link #write}).
   */
  static void keepAtLeast(UnifiedJedis redis, Collection<String> keys, long ttl) {
    List<Response<Long>> replies = new ArrayList<>(keys.size());
    try (AbstractPipeline pipeline = redis instanceof RedisClusterClient cluster
        ? cluster.pipelined(CALLER_RUNS)
        : redis.pipelined()) {
      for (String key : keys) {
        replies.add(pipeline.pexpire(key, ttl, ExpiryOption.GT));
      }
      pipeline.sync();
    }
    for (Response<Long> reply : replies) {
      try {
        reply.get(); // throws the error a node answered, if any
      } catch (IllegalStateException e) {
        // A cluster pipeline logs a node that failed (a timeout) and leaves its replies unset.
        throw new JedisConnectionException("a node did not answer PEXPIRE", e);
      }
    }
  }

  @Override
  public void close() {
    redis.close();
  }

  /** A script's reply as a list; an empty one for a nil reply. */
  static List<?> list(Object reply) {
    return reply == null ? List.of() : (List<?>) reply;
  }

  /** A flat list of alternating field names and values, as a map. */
  static Map<String, String> fields(Object flat) {
    List<?> list = list(flat);
    Map<String, String> fields = new HashMap<>(list.size());
    for (int i = 0; i + 1 < list.size(); i += 2) {
      fields.put(text(list.get(i)), text(list.get(i + 1)));
    }
    return fields;
  }

  /** A bulk reply as text, or {@code null}. */
  static String text(Object value) {
    return value instanceof byte[] bytes
        ? new String(bytes, StandardCharsets.UTF_8)
        : (String) value;
  }

  /** Each element of a list reply as text. */
  static List<String> texts(Object reply) {
    List<String> texts = new ArrayList<>();
    for (Object value : list(reply)) {
      texts.add(text(value));
    }
    return texts;
  }

  private void dropIdleConnections() {
    if (!(redis instanceof RedisClient standalone)) {
      return; // a cluster's pools are Jedis's: it drops a node's dead connections itself
    }
    try {
      standalone.getPool().clear();
    } catch (RuntimeException e) {
      LOG.debug("could not clear idle Redis connections", e);
    }
  }

  /** The exception for {@code operation} failing with {@code e}. */
  StoreUnavailableException unavailable(String operation, JedisException e) {
    return new StoreUnavailableException(
        "Redis at " + server + " unavailable for " + operation + ": " + e.getMessage(), e);
  }
}
