package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisClient;
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

  private final RedisClient redis;
  private final CheckedConnections connections;
  private final String server;

  RedisCommands(RedisClient redis, CheckedConnections connections, String server) {
    this.redis = redis;
    this.connections = connections;
    this.server = server;
  }

  /** The server as {@code host:port}. */
  String server() {
    return server;
  }

  /**
   * Runs a command or script that changes nothing: a dead connection (not a timeout) is tried
   * once more on a fresh one.
   */
  <T> T read(String operation, Function<RedisClient, T> command) {
    try {
      return unchecked(command);
    } catch (JedisConnectionException e) {
      if (CheckedConnections.isTimeout(e)) {
        throw unavailable(operation, e);
      }
      // Died under traffic (a restart): one retry on a new connection saves the request, and a
      // second failure means Redis is really down.
      dropIdleConnections();
    } catch (JedisException e) {
      throw unavailable(operation, e);
    }
    return write(operation, command);
  }

  /** Runs a command or script once. */
  <T> T write(String operation, Function<RedisClient, T> command) {
    try {
      return unchecked(command);
    } catch (JedisConnectionException e) {
      if (!CheckedConnections.isTimeout(e)) {
        dropIdleConnections();
      }
      throw unavailable(operation, e);
    } catch (JedisException e) {
      throw unavailable(operation, e);
    }
  }

  /** Runs a command once, Jedis's exceptions passed through untranslated. */
  <T> T unchecked(Function<RedisClient, T> command) {
    try {
      return command.apply(redis);
    } finally {
      connections.forget();
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
   * Walks every key starting with {@code prefix} with {@code SCAN} ({@code batch} at a time, so
   * Redis is never blocked for long) and hands each non-empty page to {@code action}.
   *
   * @return the sum of what {@code action} returned
   */
  long scan(String prefix, int batch, ToLongFunction<List<String>> action) {
    ScanParams params = new ScanParams().match(prefix + "*").count(batch);
    long sum = 0;
    String cursor = ScanParams.SCAN_POINTER_START;
    do {
      String at = cursor;
      ScanResult<String> page = read("scan", r -> r.scan(at, params));
      if (!page.getResult().isEmpty()) {
        sum += action.applyAsLong(page.getResult());
      }
      cursor = page.getCursor();
    } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
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
    try {
      redis.getPool().clear();
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
