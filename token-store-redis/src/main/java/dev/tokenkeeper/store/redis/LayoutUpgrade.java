package dev.tokenkeeper.store.redis;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upgrades, in place, what the previous release wrote under the same key prefix (layout 1: one
 * hash per token under {@code <prefix>t:<scheme>:<hex>} holding its session's fields, {@code r}
 * once revoked; one set per subject under {@code <prefix>s:<subject>}) to the session-centric
 * {@link KeyLayout layout 2}.
 *
 * <p>It walks the old token keys with {@code SCAN} in batches (never blocking Redis for long) and
 * hands each batch to {@code upgrade_v1.lua}, which converts every subject it meets as one atomic
 * step and deletes its old keys. So the upgrade is idempotent: interrupted midway (a crash, Redis
 * going away), the next open carries on from whatever is left; two stores opening at once both
 * walk, and each subject is converted by whichever gets there first. Once a walk finds nothing
 * left, a marker key ends the walks for good.
 *
 * <p>Old-release instances must be stopped before new ones start: a token an old instance writes
 * after the marker is set is not read.
 *
 * <p>Thread-safe: {@link #ensureDone} runs the walk at most once at a time in this process.
 */
final class LayoutUpgrade {

  private static final Logger LOG = LoggerFactory.getLogger(LayoutUpgrade.class);
  private static final LuaScript UPGRADE = LuaScript.load("upgrade_v1", "shared");
  private static final int BATCH = 100;

  private final RedisCommands redis;
  private final KeyLayout layout;
  private final String oldTokenPrefix;
  private final String oldIndexPrefix;
  private volatile boolean done;

  LayoutUpgrade(RedisCommands redis, KeyLayout layout, String keyPrefix) {
    this.redis = redis;
    this.layout = layout;
    this.oldTokenPrefix = keyPrefix + "t:";
    this.oldIndexPrefix = keyPrefix + "s:";
  }

  /**
   * Returns once nothing of layout 1 is left, upgrading it first if needed; after the first
   * success, at the cost of one volatile read.
   *
   * @throws dev.tokenkeeper.core.StoreUnavailableException if Redis cannot be reached; the next
   *     call tries again
   */
  void ensureDone() {
    if (!done) {
      upgrade();
    }
  }

  private synchronized void upgrade() {
    if (done) {
      return;
    }
    String marker = layout.upgradedMarker();
    if (redis.read("upgrade", r -> r.exists(marker))) {
      done = true;
      return;
    }
    List<String> args = List.of(oldTokenPrefix, oldIndexPrefix, layout.root());
    long sessions = redis.scan(oldTokenPrefix + "*", BATCH,
        keys -> (Long) redis.write(UPGRADE, keys, args));
    redis.write("upgrade", r -> r.set(marker, "1"));
    if (sessions > 0) {
      LOG.info("upgraded {} sessions under {} from Redis key layout 1 to 2", sessions,
          layout.root());
    }
    done = true;
  }
}
