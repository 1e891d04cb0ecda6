package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisException;

/**
 * What the store checks of a Redis before it first uses it, since no later call could tell.
 *
 * <ul>
 *   <li>{@code maxmemory-policy} must be {@code noeviction}. Every key this store writes has a
 *       TTL, so even the {@code volatile-*} policies may evict one: an evicted subject index or
 *       marker makes a logout everywhere miss sessions, an evicted session makes a live token
 *       unknown. Anything else is refused: every call then fails with a message naming the
 *       setting, and so does {@code build()} when Redis answers then.
 *   <li>A cluster given as a single Redis ({@code redis://}), or a single Redis given as a
 *       cluster ({@code redis-cluster://}), is refused the same way. On a cluster every primary
 *       is checked.
 *   <li>Persistence is warned about, not refused (a cache of sessions may be a choice):
 *       {@code appendonly no} loses every session on a restart; {@code appendfsync everysec}
 *       (the default) may lose the last second or two of acknowledged logins and logouts in a
 *       crash; only {@code appendfsync always} loses nothing.
 *   <li>A user that may not run {@code INFO} (a least-privilege ACL user) gets a warning that
 *       eviction policy and persistence could not be verified, instead of silence.
 * </ul>
 *
 * <p>Reads Redis with {@code INFO} and {@code CONFIG GET appendfsync}; the second is often
 * forbidden, and then only its warning says so. Stateless; thread-safe.
 */
final class DeploymentCheck {

  private static final Logger LOG = LoggerFactory.getLogger(DeploymentCheck.class);

  private DeploymentCheck() {}

  /**
   * Checks the Redis behind {@code redis}: returns if it may be used (after any warnings).
   *
   * @throws StoreUnavailableException if Redis cannot be reached, evicts keys or runs as a
   *     cluster
   */
  static void verify(RedisCommands redis) {
    List<Map<String, String>> primaries = new ArrayList<>();
    try {
      for (String info : redis.infoOfEveryPrimary()) {
        primaries.add(parse(info));
      }
    } catch (JedisException e) {
      if (!isForbidden(e)) {
        throw redis.unavailable("checking the deployment", e);
      }
      LOG.warn("Redis at {}: maxmemory-policy and persistence cannot be verified ({}); grant "
          + "INFO (+info) to this user, and make sure of maxmemory-policy noeviction and "
          + "appendonly yes with appendfsync always", redis.server(), e.getMessage());
      return;
    }
    boolean warnedAppendOnly = false;
    for (Map<String, String> info : primaries) {
      String policy = info.getOrDefault("maxmemory_policy", "unknown");
      if (!"noeviction".equals(policy)) {
        throw new StoreUnavailableException("Redis at " + redis.server() + " has "
            + "maxmemory-policy " + policy + ": it may evict session and index keys, so a logout "
            + "could be missed or a live token forgotten; refused. Set maxmemory-policy "
            + "noeviction");
      }
      boolean cluster = "1".equals(info.get("cluster_enabled"));
      if (cluster && !redis.isCluster()) {
        throw new StoreUnavailableException("Redis at " + redis.server() + " runs in cluster "
            + "mode (cluster-enabled yes); refused: give it as redis-cluster://HOST:PORT");
      }
      if (!cluster && redis.isCluster()) {
        throw new StoreUnavailableException("Redis at " + redis.server() + " is not a cluster; "
            + "refused: give it as redis://HOST:PORT");
      }
      if ("0".equals(info.get("aof_enabled")) && !warnedAppendOnly) {
        warnedAppendOnly = true;
        LOG.warn("Redis at {} has appendonly off: acknowledged logins and logouts are lost if it "
            + "restarts; set appendonly yes and appendfsync always", redis.server());
      }
    }
    if (warnedAppendOnly) {
      return;
    }
    String fsync = appendfsync(redis);
    if (fsync == null) {
      LOG.warn("Redis at {}: appendfsync cannot be read (CONFIG GET refused); only appendfsync "
          + "always loses no acknowledged login or logout in a crash", redis.server());
    } else if (!"always".equals(fsync)) {
      LOG.warn("Redis at {} has appendfsync {}: a crash may lose the last second or two of "
          + "acknowledged logins and logouts; appendfsync always loses nothing", redis.server(),
          fsync);
    }
  }

  /** The {@code appendfsync} setting, or {@code null} if this user may not read it. */
  private static String appendfsync(RedisCommands redis) {
    try {
      Map<String, String> config = redis.unchecked(r -> r.configGet("appendfsync"));
      String value = config.get("appendfsync");
      return value == null ? null : value.toLowerCase(Locale.ROOT);
    } catch (JedisException e) {
      if (!isForbidden(e)) {
        throw redis.unavailable("checking the deployment", e);
      }
      return null;
    }
  }

  /** Whether {@code e} says this user may not run the command (not: cannot log in at all). */
  private static boolean isForbidden(JedisException e) {
    return e.getMessage() != null && e.getMessage().startsWith("NOPERM");
  }

  /** {@code INFO} text as a map of its {@code name:value} lines. */
  static Map<String, String> parse(String info) {
    Map<String, String> fields = new HashMap<>();
    for (String line : info.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith("#")) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
      }
    }
    return fields;
  }
}
