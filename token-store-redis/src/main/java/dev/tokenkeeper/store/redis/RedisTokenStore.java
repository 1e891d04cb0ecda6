package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStore;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.providers.ClusterConnectionProvider;
import redis.clients.jedis.providers.PooledConnectionProvider;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * A {@link TokenStore} kept in Redis, so several instances of an application behind a load
 * balancer share one set of sessions: a token issued by one works on all, and a logout on one
 * holds on all.
 *
 * <pre>{@code
 * TokenStore store = RedisTokenStore.builder()
 *     .uri("redis://127.0.0.1:6379")          // or rediss://user:password@host:6380/2
 *     .build();
 * TokenService tokens = TokenService.builder().store(store).build();
 * }</pre>
 *
 * <h2>Layout</h2>
 *
 * Version 2, every key under {@code <prefix>v2:} (see {@code KeyLayout}): a hash per session
 * (its fields, the current refresh token's hash, {@code r} once revoked), a hash per token (its
 * session id, own expiry, when rotated), a sealed successor beside a rotated token until the
 * session's next rotation past its grace window, a set of each session's tokens, an index of
 * each subject's sessions that holds only sessions still in Redis, and a marker per subject for
 * logout everywhere. No secret is ever sent to Redis, only digests, and a sealed successor opens
 * only with the rotated token's plaintext. A session and all its keys share one TTL, ending at
 * the session's expiry (computed against the store's {@link #clock()}, so the application's
 * clock decides, not Redis's) and stretched when a use or a refresh extends the session; so
 * Redis drops expired sessions by itself. A revoked session keeps its TTL: its tombstone, and
 * its tokens', last as long as the session would have. A Redis written by the previous release
 * (layout 1) is upgraded in place when the store first reaches it ({@code LayoutUpgrade}).
 *
 * <h2>Clocks</h2>
 *
 * Several instances on one Redis: build each with {@link Builder#redisClock()} and give its
 * {@code TokenService} the store's {@link #clock()}. Every instance then reads Redis's clock,
 * so last use and expiry are recorded, and expiry decided, on one clock, whatever each host's
 * own says. Without it each instance records the instants of its own clock (keep them on NTP);
 * keys still outlive what every instance asked, and the subject index is trimmed by Redis's
 * clock alone.
 *
 * <h2>Atomicity</h2>
 *
 * Every change is one Lua script ({@code EVALSHA}), atomic in Redis, applying token-core's rules
 * (each script names the core method it mirrors): a rotation is a compare-and-set on the
 * session's current refresh token that fails once the session is revoked; a revoke is one write
 * on the session; a touch never changes a revoked session; {@link #revokeAll} revokes every
 * session of the subject created before it, in one O(1) step (the subject's marker), so a
 * session created concurrently is either revoked or created after it (and live). {@link #find}
 * reads a token with its session in one script, one round trip.
 *
 * <h2>Deployments</h2>
 *
 * One standalone Redis ({@code redis://}, {@code rediss://}), or a Redis Cluster
 * ({@code redis-cluster://}): there every key of one subject shares a hash slot, so each script
 * above stays one atomic step on one node, and tokens and sessions are found from their ids
 * through pointers (see {@code KeyLayout.cluster}). Not Sentinel: the store does not follow a
 * failover (writes would then fail READONLY, and nothing waits for replicas, so a logout
 * acknowledged just before a failover could be lost).
 *
 * <h2>Durability</h2>
 *
 * A write returns once Redis has acknowledged it. It survives a Redis restart only if Redis
 * persists: use {@code appendonly yes}; with {@code appendfsync always} an acknowledged write
 * survives a crash of the Redis process or its machine. {@link #touch} is coalesced: at most one
 * write per session per {@code touchPersistInterval}, the rest flushed by a background thread
 * every interval and on {@link #close()}.
 *
 * <h2>Failure</h2>
 *
 * Connecting and every command are bounded by the configured timeouts, and waiting for a pooled
 * connection by the connect timeout; a timeout is never retried, so a frozen Redis fails a call
 * within about one timeout. A failure throws {@link StoreUnavailableException} naming the server
 * ({@code host:port}, never the password) and keeping Jedis's exception as the cause. A pooled
 * connection idle for half a second or more is proved alive with {@code PING} before a command
 * is sent on it, so after a Redis restart the first call succeeds, a logout too. Nothing waits or
 * retries in the background: each later call tries again, and once Redis answers the store
 * serves again by itself.
 *
 * <p>Thread-safe; share one per application. {@link #find} with the optional near cache is
 * described at {@link Builder#nearCacheTtl}.
 */
public final class RedisTokenStore implements TokenStore {

  private static final Logger LOG = LoggerFactory.getLogger(RedisTokenStore.class);

  private static final LuaScript CREATE = LuaScript.load("create", "shared");
  private static final LuaScript FIND = LuaScript.load("find", "shared");
  private static final LuaScript FIND_SESSION = LuaScript.load("find_session", "shared");
  private static final LuaScript FIND_SESSIONS = LuaScript.load("find_sessions", "shared");
  private static final LuaScript ROTATE = LuaScript.load("rotate", "shared");
  private static final LuaScript REVOKE_SESSION = LuaScript.load("revoke_session", "shared");
  private static final LuaScript REVOKE_ALL = LuaScript.load("revoke_all", "shared");
  private static final LuaScript REVOKE_COVERED = LuaScript.load("revoke_covered", "shared");
  private static final LuaScript TOUCH = LuaScript.load("touch", "shared");
  private static final LuaScript PURGE = LuaScript.load("purge", "shared");

  private static final int PURGE_BATCH = 500;
  /**
   * Most sessions one script reads or marks: a few milliseconds of Redis's time, so a subject
   * with a hundred thousand sessions never blocks Redis for long.
   */
  static final int SUBJECT_BATCH = 500;
  private static final int NEAR_CACHE_MAX_ENTRIES = 100_000;
  private static final int TAG_CACHE_ENTRIES = 100_000;

  private final RedisCommands redis;
  private final KeyLayout layout;
  private final SlotTags tags = new SlotTags(TAG_CACHE_ENTRIES);
  private final LayoutUpgrade upgrade;
  private final Clock clock;
  private final TouchCoalescer touches;
  private final NearCache nearCache;
  private final ScheduledExecutorService flusher;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean ready;

  private RedisTokenStore(Builder builder, RedisCommands redis) {
    this.redis = redis;
    this.layout = redis.isCluster()
        ? KeyLayout.cluster(builder.keyPrefix)
        : new KeyLayout(builder.keyPrefix);
    this.upgrade = new LayoutUpgrade(redis, layout, builder.keyPrefix);
    this.clock = builder.redisClock
        ? new RedisClock(redis, builder.clock, layout.root() + "clock", builder.ticker)
        : builder.clock;
    this.touches = new TouchCoalescer(builder.touchPersistInterval, builder.touchMapMaxEntries,
        builder.ticker);
    this.nearCache = builder.nearCacheTtl.isZero()
        ? null
        : new NearCache(builder.nearCacheTtl, NEAR_CACHE_MAX_ENTRIES, builder.ticker, clock);
    this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "tokenkeeper-redis-touch-flusher");
      thread.setDaemon(true);
      return thread;
    });
    long every = builder.touchPersistInterval.toMillis();
    flusher.scheduleWithFixedDelay(this::flushQuietly, every, every, TimeUnit.MILLISECONDS);
    if (clock instanceof RedisClock redisClock) {
      long measure = RedisClock.EVERY.toMillis();
      flusher.scheduleWithFixedDelay(() -> measureQuietly(redisClock), measure, measure,
          TimeUnit.MILLISECONDS);
    }
  }

  /** A builder with the defaults stated on each setter. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The clock this store reads: Redis's, as seen from this instance, if built with
   * {@link Builder#redisClock()}, else the one given to {@link Builder#clock} (by default the
   * system's). Give it to the {@code TokenService} on this store, so that both read one clock.
   */
  public Clock clock() {
    return clock;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Returns once Redis has acknowledged the session and its tokens (see the class notes on
   * durability).
   *
   * @throws IllegalArgumentException also if an instant is outside years -1200 to 30000
   */
  @Override
  public void create(SessionRecord session, List<TokenRecord> tokens) {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(tokens, "tokens");
    requireOpen();
    requireNew(session.id(), tokens);
    SessionId id = session.id();
    KeyLayout at = layout.of(session.subject());
    long ttl = ttlMillis(session.expiresAt());
    List<String> pointers = new ArrayList<>();
    if (layout.isCluster()) {
      if (!claim(layout.sessionPointer(id), at.tag(), ttl, pointers)) {
        release(pointers);
        throw new IllegalArgumentException("a session is already stored under " + id);
      }
      for (TokenRecord token : tokens) {
        if (!claim(layout.tokenPointer(token.hash()), at.tag(), ttl, pointers)) {
          release(pointers);
          throw new IllegalArgumentException("a token of session " + id + " is already stored");
        }
      }
    }
    List<String> args = new ArrayList<>(8 + 2 * tokens.size() + 20);
    args.add(Long.toString(ttl));
    args.add(id.value());
    args.add(at.tokenPrefix());
    args.add(at.sessionPrefix());
    args.add(Integer.toString(tokens.size()));
    for (TokenRecord token : tokens) {
      args.add(KeyLayout.id(token.hash()));
      args.add(KeyLayout.expiry(token));
    }
    args.addAll(KeyLayout.fields(session));
    Object created = redis.write(CREATE, List.of(at.sessionKey(id), at.tokensOfKey(id),
        at.indexKey(session.subject()), at.markerKey(session.subject())), args);
    if (!Long.valueOf(1).equals(created)) {
      release(pointers);
    }
    if (Long.valueOf(0).equals(created)) {
      throw new IllegalArgumentException("a session is already stored under " + id);
    }
    if (!Long.valueOf(1).equals(created)) {
      throw new IllegalArgumentException("a token of session " + id + " is already stored");
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One round trip: a script reads the token, its session and its sealed successor. With the
   * near cache on, may answer from memory, but never for a refresh token; see
   * {@link Builder#nearCacheTtl}.
   */
  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    Objects.requireNonNull(hash, "hash");
    requireOpen();
    TokenEntry found = nearCache == null ? null : nearCache.get(hash);
    if (found == null) {
      NearCache.Stamp stamp = nearCache == null ? null : nearCache.stamp();
      KeyLayout at = layoutOfToken(hash);
      if (at == null) {
        return Optional.empty();
      }
      List<?> reply = RedisCommands.list(redis.read(FIND,
          List.of(at.tokenKey(hash), at.successorKey(hash)),
          List.of(at.sessionPrefix(), at.markerPrefix())));
      if (reply.isEmpty()) {
        return Optional.empty();
      }
      TokenRecord token = at.decodeToken(hash, RedisCommands.fields(reply.get(0)),
          RedisCommands.text(reply.get(2)));
      Map<String, String> sessionFields = RedisCommands.fields(reply.get(1));
      found = new TokenEntry(token,
          at.decodeSession(token.sessionId().value(), sessionFields));
      if (nearCache != null) {
        nearCache.put(found, !sessionFields.containsKey(KeyLayout.UPGRADED), stamp);
      }
    }
    SessionRecord session = touches.overlay(found.session());
    return Optional.of(session == found.session() ? found : new TokenEntry(found.token(), session));
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    Objects.requireNonNull(id, "id");
    requireOpen();
    KeyLayout at = layoutOfSession(id);
    if (at == null) {
      return Optional.empty();
    }
    Map<String, String> fields = RedisCommands.fields(redis.read(FIND_SESSION,
        List.of(at.sessionKey(id)), List.of(at.markerPrefix())));
    if (fields.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(touches.overlay(at.decodeSession(id.value(), fields)));
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script for a subject of up to {@value #SUBJECT_BATCH} sessions; a larger one is read
   * in pages of that size ({@code ZSCAN}), so Redis is never blocked for long, and is then not
   * one snapshot: a session created or revoked meanwhile may be seen either way.
   */
  @Override
  public List<SessionRecord> findSessions(String subject) {
    Objects.requireNonNull(subject, "subject");
    requireOpen();
    if (!wellFormed(subject)) {
      return List.of();
    }
    KeyLayout at = layout.of(subject);
    String index = at.indexKey(subject);
    List<String> args = List.of(at.sessionPrefix(), at.markerPrefix(),
        Integer.toString(SUBJECT_BATCH));
    List<?> found = RedisCommands.list(redis.read(FIND_SESSIONS, List.of(index), args));
    if (!isPage(found)) {
      return decodeSessions(at, found, new HashSet<>());
    }
    List<SessionRecord> sessions = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    redis.scanSorted(index, SUBJECT_BATCH, ids -> {
      List<String> page = new ArrayList<>(args);
      page.addAll(ids);
      sessions.addAll(decodeSessions(at,
          RedisCommands.list(redis.read(FIND_SESSIONS, List.of(index), page)), seen));
      return 0;
    });
    return sessions;
  }

  /** Alternating ids and field lists as sessions, skipping ids already {@code seen}. */
  private List<SessionRecord> decodeSessions(KeyLayout at, List<?> found, Set<String> seen) {
    List<SessionRecord> sessions = new ArrayList<>(found.size() / 2);
    for (int i = 0; i + 1 < found.size(); i += 2) {
      String id = RedisCommands.text(found.get(i));
      if (seen.add(id)) {
        sessions.add(touches.overlay(at.decodeSession(id,
            RedisCommands.fields(found.get(i + 1)))));
      }
    }
    return sessions;
  }

  /** Whether a script answered that the subject is large and must be read or marked in pages. */
  private static boolean isPage(List<?> reply) {
    return !reply.isEmpty() && !(reply.get(0) instanceof Long)
        && "page".equals(RedisCommands.text(reply.get(0)));
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script: the compare-and-set of {@link Rotation#appliesTo} and the writes of
   * {@link Rotation#applyTo}, atomic in Redis; returns once Redis has acknowledged it.
   */
  @Override
  public boolean rotate(Rotation rotation) {
    Objects.requireNonNull(rotation, "rotation");
    requireOpen();
    requireNew(rotation.sessionId(), rotation.added());
    SessionId id = rotation.sessionId();
    TokenRecord refresh = rotation.refresh();
    TokenRecord access = rotation.access();
    KeyLayout at = layoutOfSession(id);
    if (at == null) {
      return false;
    }
    long ttl = ttlMillis(rotation.expiresAt());
    List<String> pointers = new ArrayList<>();
    if (layout.isCluster()) {
      for (TokenRecord token : List.of(refresh, access)) {
        if (!claim(layout.tokenPointer(token.hash()), at.tag(), ttl, pointers)) {
          release(pointers);
          throw new IllegalArgumentException(
              "a new token of session " + id + " is already stored");
        }
      }
    }
    try {
      extendPointers(at, id, ttl);
    } catch (StoreUnavailableException e) {
      release(pointers);
      throw e;
    }
    List<String> keys = List.of(at.sessionKey(id), at.tokensOfKey(id),
        at.tokenKey(rotation.rotated()), at.successorKey(rotation.rotated()),
        at.tokenKey(refresh.hash()), at.tokenKey(access.hash()));
    List<String> args = List.of(
        id.value(),
        rotation.expectedCurrent() == null ? "" : KeyLayout.id(rotation.expectedCurrent()),
        KeyLayout.encode(rotation.at()),
        KeyLayout.encode(rotation.expiresAt()),
        Long.toString(ttl),
        rotation.successor() == null ? "" : KeyLayout.successor(rotation.successor()),
        rotation.successor() == null ? "1" : Long.toString(ttlMillis(rotation.successor().until())),
        KeyLayout.id(refresh.hash()), KeyLayout.expiry(refresh),
        KeyLayout.id(access.hash()), KeyLayout.expiry(access),
        at.tokenPrefix(), at.indexPrefix(), at.markerPrefix(), at.sessionPrefix(),
        at.successorPrefix());
    Object applied;
    try {
      applied = redis.write(ROTATE, keys, args);
    } finally {
      // Applied or not, what this process cached of the session may be stale: a failed
      // compare-and-set is followed by a fresh read, which must come from Redis.
      if (nearCache != null) {
        nearCache.invalidateSession(id);
      }
    }
    if (!Long.valueOf(1).equals(applied)) {
      release(pointers);
    }
    if (Long.valueOf(-1).equals(applied)) {
      throw new IllegalArgumentException("a new token of session " + id + " is already stored");
    }
    return Long.valueOf(1).equals(applied);
  }

  /** {@inheritDoc} Returns once Redis has acknowledged the revocation. */
  @Override
  public boolean revokeSession(SessionId id, Instant at) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(at, "at");
    requireOpen();
    String when = KeyLayout.encode(at);
    try {
      KeyLayout keys = layoutOfSession(id);
      if (keys == null) {
        return false;
      }
      Object revoked = redis.write(REVOKE_SESSION, List.of(keys.sessionKey(id)),
          List.of(when, keys.markerPrefix()));
      return Long.valueOf(1).equals(revoked);
    } finally {
      // After the write, so a read racing it cannot put the unrevoked session back.
      if (nearCache != null) {
        nearCache.invalidateSession(id);
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script, atomic in Redis and O(1) in the subject's size: it sets the subject's marker
   * to cover every session created so far, and from then on every script treats those as
   * revoked. A subject of up to {@value #SUBJECT_BATCH} sessions is also marked session by
   * session in that script; a larger one in pages of that size after it, so Redis is never
   * blocked for long. If Redis fails between pages, the revocation already holds (by the marker)
   * and the exception says only that the count could not be completed. Another instance's near
   * cache may still serve a revoked session's access token for up to its
   * {@link Builder#nearCacheTtl}.
   */
  @Override
  public int revokeAll(String subject, Instant at) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(at, "at");
    requireOpen();
    String when = KeyLayout.encode(at);
    if (!wellFormed(subject)) {
      return 0;
    }
    KeyLayout slot = layout.of(subject);
    List<String> keys = List.of(slot.indexKey(subject), slot.markerKey(subject));
    try {
      List<?> reply = RedisCommands.list(redis.write(REVOKE_ALL, keys,
          List.of(slot.sessionPrefix(), when, Integer.toString(SUBJECT_BATCH))));
      if (!isPage(reply)) {
        return Math.toIntExact((Long) reply.get(0));
      }
      String ra = RedisCommands.text(reply.get(1));
      long count = redis.scanSorted(slot.indexKey(subject), SUBJECT_BATCH, ids -> {
        List<String> args = new ArrayList<>(3 + ids.size());
        args.addAll(List.of(slot.sessionPrefix(), when, ra));
        args.addAll(ids);
        return (Long) redis.write(REVOKE_COVERED, keys, args);
      });
      return Math.toIntExact(count);
    } finally {
      if (nearCache != null) {
        nearCache.invalidateSubject(subject);
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Coalesced: see the class notes. A write that fails is kept and retried by the next
   * flush, and logged; it is not thrown, since losing a touch only makes a session look older.
   */
  @Override
  public void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    requireOpen();
    if (touches.isFull()) {
      flushQuietly();
      touches.clear();
    }
    TouchCoalescer.Touch due = touches.offer(id, lastUsedAt, expiresAt);
    if (due != null) {
      try {
        write(due);
      } catch (StoreUnavailableException e) {
        touches.failed(due);
        LOG.warn("touch of session {} not written yet, will retry: {}", id, e.getMessage());
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Redis drops expired sessions by itself when their TTL ends, so this is rarely needed: it
   * walks every session key with {@code SCAN} (in batches, never blocking Redis for long) and
   * drops those expired at {@code now} by their stored expiry, with all their tokens and sealed
   * successors. A live session's successors past their window are dropped by its next rotation.
   */
  @Override
  public int purgeExpired(Instant now) {
    Objects.requireNonNull(now, "now");
    requireOpen();
    String when = KeyLayout.encode(now);
    long count = redis.scan(layout.sessionPattern(), PURGE_BATCH, keys -> {
      if (!layout.isCluster()) {
        return purge(layout, keys, when);
      }
      // A script runs in one slot: a page from the cluster is purged slot by slot.
      Map<String, List<String>> bySlot = new HashMap<>();
      for (String key : keys) {
        bySlot.computeIfAbsent(KeyLayout.tagOf(key), tag -> new ArrayList<>()).add(key);
      }
      long purged = 0;
      for (Map.Entry<String, List<String>> slot : bySlot.entrySet()) {
        purged += purge(layout.ofTag(slot.getKey()), slot.getValue(), when);
      }
      return purged;
    });
    if (count > 0 && nearCache != null) {
      nearCache.clear();
    }
    return Math.toIntExact(count);
  }

  /** Purges, among the session keys {@code keys} of {@code at}, those purgeable {@code when}. */
  private long purge(KeyLayout at, List<String> keys, String when) {
    List<String> args = List.of(when, Integer.toString(at.sessionPrefix().length()),
        at.tokensOfPrefix(), at.tokenPrefix(), at.successorPrefix(), at.indexPrefix(),
        at.sessionPrefix());
    return (Long) redis.write(PURGE, keys, args);
  }

  /**
   * Writes pending touches, stops the flusher and closes the connection pool. Idempotent.
   *
   * @throws StoreUnavailableException if pending touches could not be written; the pool is
   *     closed all the same
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    flusher.shutdown();
    try {
      // A flush in progress ends within the socket timeout per write.
      flusher.awaitTermination(5, TimeUnit.SECONDS);
      for (TouchCoalescer.Touch touch : touches.drain()) {
        write(touch);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      redis.close();
    }
  }

  /**
   * Drops this store as a process that died would, for tests of a crash: the flusher is stopped
   * and waited for, owed touches are never written, the pool is closed. Nothing of this store
   * reaches Redis after it returns.
   */
  void abandon() {
    closed.set(true);
    flusher.shutdownNow();
    try {
      flusher.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      redis.close();
    }
  }

  @Override
  public String toString() {
    return "RedisTokenStore[" + redis.server() + ", prefix=" + layout.root() + "]";
  }

  /**
   * How the connection pool is used right now: connections lent and idle, callers waiting for
   * one, and the most it may open (over a Redis Cluster, summed over the nodes' pools). Each
   * figure is read from the pool's own counters, without borrowing a connection or calling
   * Redis, so figures taken together may be a moment apart. Works after {@link #close()} too.
   * Thread-safe.
   */
  public RedisPoolStats poolStats() {
    return redis.poolStats();
  }

  /** Owed touch writes dropped because the touch map overflowed while Redis was down. */
  long droppedTouches() {
    return touches.dropped();
  }

  /** Writes every owed touch now; for the flusher and tests. */
  void flushTouches() {
    List<TouchCoalescer.Touch> owed = touches.drain();
    for (int i = 0; i < owed.size(); i++) {
      try {
        write(owed.get(i));
      } catch (StoreUnavailableException e) {
        // Every drained touch not yet written is owed again, not only the one that failed.
        owed.subList(i, owed.size()).forEach(touches::failed);
        throw e;
      }
    }
  }

  private static void measureQuietly(RedisClock clock) {
    try {
      clock.measure();
    } catch (RuntimeException e) {
      // The last offset still holds; the local clock drifts from it far slower than this repeats.
      LOG.warn("Redis's clock not read, the last offset from it is kept: {}", e.getMessage());
    }
  }

  private void flushQuietly() {
    try {
      flushTouches();
    } catch (StoreUnavailableException e) {
      LOG.warn("coalesced touches not written yet, will retry: {}", e.getMessage());
    } catch (RuntimeException e) {
      // Keep the flusher alive: a scheduled task that throws is never run again.
      LOG.error("coalesced touches not written", e);
    }
  }

  private void write(TouchCoalescer.Touch touch) {
    if (!ready) {
      ensureReady();
    }
    KeyLayout at = layoutOfSession(touch.id());
    if (at == null) {
      return;
    }
    long ttl = ttlMillis(touch.expiresAt());
    extendPointers(at, touch.id(), ttl);
    List<String> args = List.of(KeyLayout.encode(touch.lastUsedAt()),
        KeyLayout.encode(touch.expiresAt()), Long.toString(ttl),
        at.tokenPrefix(), at.indexPrefix(), at.markerPrefix(), at.sessionPrefix(),
        touch.id().value());
    redis.write(TOUCH, List.of(at.sessionKey(touch.id()), at.tokensOfKey(touch.id())), args);
  }

  /**
   * The layout holding session {@code id}'s keys; on a cluster read from its pointer (once per
   * process: a pointer never changes), {@code null} if there is none (the session is gone).
   */
  private KeyLayout layoutOfSession(SessionId id) {
    return layout.isCluster() ? slotOf("s:" + id.value(), layout.sessionPointer(id)) : layout;
  }

  /** The layout holding the token {@code hash}'s keys, as {@link #layoutOfSession}. */
  private KeyLayout layoutOfToken(TokenHash hash) {
    return layout.isCluster()
        ? slotOf("t:" + KeyLayout.id(hash), layout.tokenPointer(hash))
        : layout;
  }

  private KeyLayout slotOf(String name, String pointer) {
    String tag = tags.get(name);
    if (tag == null) {
      tag = redis.read("find", r -> r.get(pointer));
      if (tag == null) {
        return null;
      }
      tags.put(name, tag);
    }
    return layout.ofTag(tag);
  }

  /** Sets the pointer {@code key} to {@code tag} unless it exists; whether it was set. */
  private boolean claim(String key, String tag, long ttl, List<String> claimed) {
    Object set = redis.write("create", r -> r.set(key, tag, SetParams.setParams().nx().px(ttl)));
    if (set == null) {
      return false;
    }
    claimed.add(key);
    return true;
  }

  /** Deletes pointers this call claimed for keys it did not write after all; best effort. */
  private void release(List<String> claimed) {
    for (String key : claimed) {
      try {
        redis.write("create", r -> r.del(key));
      } catch (StoreUnavailableException e) {
        // It points at nothing, and expires with the TTL it was given.
        LOG.debug("pointer not released: {}", e.getMessage());
      }
    }
  }

  /**
   * On a cluster, before a write that may stretch session {@code id}'s keys to {@code ttl} ms:
   * its pointers, and its tokens', live at least that long. Before, not after: a pointer step
   * that fails after the write left the session's pointer ending before the pointers of tokens
   * the write added, so a token stayed valid that no logout could reach by its session's id. If
   * this fails, the write is not sent; pointers outliving their keys only read as unknown.
   */
  private void extendPointers(KeyLayout at, SessionId id, long ttl) {
    if (!layout.isCluster()) {
      return;
    }
    redis.write("touch", r -> {
      List<String> pointers = new ArrayList<>(List.of(layout.sessionPointer(id)));
      for (String token : r.smembers(at.tokensOfKey(id))) {
        pointers.add(layout.tokenPointer(token));
      }
      RedisCommands.keepAtLeast(r, pointers, ttl);
      return null;
    });
  }

  /** The TTL for keys that end at {@code expiresAt}, by the configured clock. */
  private long ttlMillis(Instant expiresAt) {
    long millis = Duration.between(clock.instant(), expiresAt).toMillis();
    // An already expired session still lands for a moment, so the caller sees a consistent write.
    return Math.max(1, millis + 1);
  }

  /** Caller errors the scripts cannot see: a token of another session, one hash given twice. */
  private static void requireNew(SessionId id, List<TokenRecord> tokens) {
    Set<TokenHash> seen = new HashSet<>();
    for (TokenRecord token : tokens) {
      Objects.requireNonNull(token, "token");
      if (!token.sessionId().equals(id)) {
        throw new IllegalArgumentException(
            "token of session " + token.sessionId() + " added to session " + id);
      }
      if (!seen.add(token.hash())) {
        throw new IllegalArgumentException("token " + token.hash() + " given twice");
      }
    }
  }

  /**
   * Refuses calls after {@link #close()}; before the first call that reaches Redis, checks the
   * deployment and upgrades the key layout.
   */
  /**
   * Whether {@code subject} is well-formed UTF-16. Keys are UTF-8, where an unpaired surrogate
   * becomes '?': a lookup by such a subject would reach another subject's keys. No session has
   * one ({@code Session} refuses it), so such a lookup finds nothing.
   */
  private static boolean wellFormed(String subject) {
    for (int i = 0; i < subject.length(); i++) {
      char c = subject.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < subject.length()
          && Character.isLowSurrogate(subject.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new IllegalStateException("store is closed");
    }
    if (!ready) {
      ensureReady();
    }
  }

  /**
   * Checks the deployment ({@link DeploymentCheck}) and upgrades the layout, once; until both
   * succeed, every call tries again (one {@code INFO} more while Redis is refused).
   */
  private synchronized void ensureReady() {
    if (!ready) {
      DeploymentCheck.verify(redis);
      if (!layout.isCluster()) {
        upgrade.ensureDone(); // layouts 1 and 2 never ran on a cluster
      }
      if (clock instanceof RedisClock redisClock) {
        redisClock.measure();
      }
      ready = true;
    }
  }

  /**
   * Builds a {@link RedisTokenStore}. Each option may be set once; {@link #build()} checks the
   * rules that span options. Not thread-safe.
   *
   * <pre>{@code
   * RedisTokenStore store = RedisTokenStore.builder()
   *     .uri("rediss://app:secret@redis.internal:6380/0")
   *     .keyPrefix("shop:tk:")
   *     .connectTimeout(Duration.ofMillis(500))
   *     .socketTimeout(Duration.ofMillis(500))
   *     .poolSize(32)
   *     .build();
   * }</pre>
   */
  public static final class Builder {

    /** The longest near-cache TTL accepted: revocations must reach every instance quickly. */
    public static final Duration MAX_NEAR_CACHE_TTL = Duration.ofSeconds(5);

    private static final Duration MAX_TIMEOUT = Duration.ofMinutes(1);
    private static final String CLUSTER_SCHEME = "redis-cluster";
    private static final Pattern NODE =
        Pattern.compile("([A-Za-z0-9.\\-]+|\\[[0-9A-Fa-f:.]+\\]):(\\d{1,5})");
    private static final Pattern KEY_PREFIX = Pattern.compile("[A-Za-z0-9:_.\\-]{1,64}");

    private URI uri;
    private List<HostAndPort> clusterNodes;
    private String keyPrefix;
    private Duration connectTimeout;
    private Duration socketTimeout;
    private Integer poolSize;
    private Duration touchPersistInterval;
    private Duration nearCacheTtl;
    private Clock clock;
    private boolean redisClock;
    private LongSupplier ticker;
    private int touchMapMaxEntries = 100_000;
    private Duration idleWindow = Duration.ofMillis(500);

    private Builder() {}

    /**
     * The server, as {@code redis://[[user]:password@]host[:port][/db]}, or {@code rediss://...}
     * for TLS (verified against the JVM's trust store). Port defaults to 6379, database to 0; a
     * password alone authenticates as the default user, with a user through Redis ACLs. Or a
     * Redis Cluster, as {@code redis-cluster://[[user]:password@]host:port[,host:port...]}: any
     * of its nodes, the others are found from them (no TLS, database 0). Required.
     *
     * @throws IllegalArgumentException if the scheme is not {@code redis}, {@code rediss} or
     *     {@code redis-cluster}, or a host or a cluster node's port is missing
     */
    public Builder uri(URI uri) {
      requireUnset(this.uri, "uri");
      Objects.requireNonNull(uri, "uri");
      String scheme = uri.getScheme();
      if (CLUSTER_SCHEME.equals(scheme)) {
        this.clusterNodes = clusterNodes(uri);
        this.uri = uri;
        return this;
      }
      if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
        throw new IllegalArgumentException(
            "uri scheme must be redis, rediss or redis-cluster: " + scheme);
      }
      if (uri.getHost() == null) {
        throw new IllegalArgumentException("uri has no host: " + scheme + "://...");
      }
      String path = uri.getPath();
      if (path != null && !path.isEmpty() && !path.equals("/")
          && !path.substring(1).chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("uri path must be a database number: " + path);
      }
      this.uri = uri;
      return this;
    }

    /**
     * The server as text; see {@link #uri(URI)}.
     *
     * @throws IllegalArgumentException if it is not a URI or breaks the rules of {@link #uri(URI)};
     *     the message never repeats the text, which may hold a password
     */
    public Builder uri(String uri) {
      Objects.requireNonNull(uri, "uri");
      try {
        return uri(new URI(uri));
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("uri is not a valid URI: " + e.getReason());
      }
    }

    /**
     * Prefix of every key this store writes, so several applications can share one Redis.
     * 1 to 64 characters from {@code A-Z a-z 0-9 : _ . -}. Default: {@code "tk:"}.
     *
     * @throws IllegalArgumentException if it breaks that rule
     */
    public Builder keyPrefix(String keyPrefix) {
      requireUnset(this.keyPrefix, "keyPrefix");
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      if (!KEY_PREFIX.matcher(keyPrefix).matches()) {
        throw new IllegalArgumentException(
            "keyPrefix must be 1 to 64 of A-Z a-z 0-9 : _ . - : \"" + keyPrefix + "\"");
      }
      this.keyPrefix = keyPrefix;
      return this;
    }

    /**
     * Longest wait to open a connection, and to borrow one from a busy pool. Default: 1 second.
     *
     * @throws IllegalArgumentException if not positive or over one minute
     */
    public Builder connectTimeout(Duration timeout) {
      requireUnset(this.connectTimeout, "connectTimeout");
      this.connectTimeout = requireTimeout(timeout, "connectTimeout");
      return this;
    }

    /**
     * Longest wait for Redis to answer one command. Default: 1 second.
     *
     * @throws IllegalArgumentException if not positive or over one minute
     */
    public Builder socketTimeout(Duration timeout) {
      requireUnset(this.socketTimeout, "socketTimeout");
      this.socketTimeout = requireTimeout(timeout, "socketTimeout");
      return this;
    }

    /**
     * Most connections open at once; more concurrent calls wait up to the connect timeout.
     * Default: 16.
     *
     * @throws IllegalArgumentException if not 1 to 1024
     */
    public Builder poolSize(int size) {
      requireUnset(this.poolSize, "poolSize");
      if (size < 1 || size > 1024) {
        throw new IllegalArgumentException("poolSize must be 1 to 1024: " + size);
      }
      this.poolSize = size;
      return this;
    }

    /**
     * Least time between two writes of one session's last use and sliding expiry. Touches in
     * between are written by a background flush every interval and on close; one lost in a crash
     * makes a session look older by at most this, and may end an idle-timeout session up to this
     * early. Default: 30 seconds.
     *
     * @throws IllegalArgumentException if under 1 millisecond or over one hour
     */
    public Builder touchPersistInterval(Duration interval) {
      requireUnset(this.touchPersistInterval, "touchPersistInterval");
      Objects.requireNonNull(interval, "touchPersistInterval");
      if (interval.toMillis() < 1 || interval.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(
            "touchPersistInterval must be 1 ms to 1 hour: " + interval);
      }
      this.touchPersistInterval = interval;
      return this;
    }

    /**
     * Turns on a per-process cache of {@link #find} results, read at most {@code ttl} ago.
     * <b>Trade-off:</b> an access token whose session was revoked through another process
     * (logout everywhere on another instance) can still authenticate here for up to
     * {@code ttl}; revocations and refreshes through this process apply at once. A refresh
     * never answers from the cache: refresh tokens (current or rotated) are never cached, so
     * every refresh and every rotation's compare-and-set reads Redis. Unknown tokens are never
     * cached, and a session ending within {@code ttl} is always read from Redis. Default: off
     * ({@link Duration#ZERO}).
     *
     * @throws IllegalArgumentException if negative or over {@link #MAX_NEAR_CACHE_TTL}
     */
    public Builder nearCacheTtl(Duration ttl) {
      requireUnset(this.nearCacheTtl, "nearCacheTtl");
      Objects.requireNonNull(ttl, "nearCacheTtl");
      if (ttl.isNegative() || ttl.compareTo(MAX_NEAR_CACHE_TTL) > 0) {
        throw new IllegalArgumentException(
            "nearCacheTtl must be 0 to " + MAX_NEAR_CACHE_TTL + ": " + ttl);
      }
      this.nearCacheTtl = ttl;
      return this;
    }

    /**
     * This instance's clock, which turns a session's expiry into its record's Redis TTL: give
     * the one the {@code TokenService} uses, or use {@link #redisClock()} and give the service
     * {@link RedisTokenStore#clock()}. Default: {@link Clock#systemUTC()}.
     */
    public Builder clock(Clock clock) {
      requireUnset(this.clock, "clock");
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Makes {@link RedisTokenStore#clock()} Redis's clock ({@code TIME}) as seen from this
     * instance: its own clock ({@link #clock}) corrected by its offset from Redis's, measured
     * when the store first reaches Redis and every 10 seconds after (each time within half a
     * round trip). Give it to the {@code TokenService} on every instance: they then record last
     * use and expiry on one clock, decide expiry alike, and a use through an instance whose own
     * clock runs fast is never in the others' future. Until Redis first answers, reading it
     * throws {@link StoreUnavailableException}. Default: off (the store reads {@link #clock}).
     *
     * @throws IllegalStateException if already set
     */
    public Builder redisClock() {
      if (redisClock) {
        throw new IllegalStateException("redisClock was already set");
      }
      redisClock = true;
      return this;
    }

    /** Least idle time after which a pooled connection is checked with PING; for tests. */
    Builder idleWindow(Duration window) {
      this.idleWindow = Objects.requireNonNull(window, "idleWindow");
      return this;
    }

    /** Sessions the touch map holds before it is drained and cleared; for tests. */
    Builder touchMapMaxEntries(int max) {
      this.touchMapMaxEntries = max;
      return this;
    }

    /**
     * The monotonic time source of the near cache and of the touch map's overflow warnings, in
     * nanoseconds; for tests.
     */
    Builder ticker(LongSupplier ticker) {
      requireUnset(this.ticker, "ticker");
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * The store. Does not need a standalone Redis to be up: if it is not, calls fail with
     * {@link StoreUnavailableException} until it is (a cluster must answer now, to give its slot
     * map). When Redis answers (now, else at the first call), its deployment is checked: an
     * evicting {@code maxmemory-policy} (anything but {@code noeviction}), or a cluster given as
     * a single Redis or the reverse, is refused; persistence short of
     * {@code appendonly yes} with {@code appendfsync always}, or settings this user may not
     * read, are logged as warnings. Then keys the previous release wrote under this prefix are
     * upgraded to the current layout.
     *
     * @throws IllegalStateException if no uri was given
     * @throws StoreUnavailableException if Redis answers but is refused (the message names the
     *     setting), or refuses this user (wrong password, no permission on its keys; the message
     *     never holds the password), or a cluster does not answer
     */
    public RedisTokenStore build() {
      if (uri == null) {
        throw new IllegalStateException("uri is required");
      }
      keyPrefix = keyPrefix == null ? "tk:" : keyPrefix;
      connectTimeout = connectTimeout == null ? Duration.ofSeconds(1) : connectTimeout;
      socketTimeout = socketTimeout == null ? Duration.ofSeconds(1) : socketTimeout;
      poolSize = poolSize == null ? 16 : poolSize;
      touchPersistInterval =
          touchPersistInterval == null ? Duration.ofSeconds(30) : touchPersistInterval;
      nearCacheTtl = nearCacheTtl == null ? Duration.ZERO : nearCacheTtl;
      clock = clock == null ? Clock.systemUTC() : clock;
      ticker = ticker == null ? System::nanoTime : ticker;

      if (clusterNodes != null) {
        return buildCluster();
      }
      HostAndPort hostAndPort = JedisURIHelper.getHostAndPort(uri);
      String user = JedisURIHelper.getUser(uri);
      DefaultJedisClientConfig.Builder config = clientConfig(
          user == null || user.isEmpty() ? null : user, JedisURIHelper.getPassword(uri))
          .database(JedisURIHelper.getDBIndex(uri));
      if (JedisURIHelper.isRedisSSLScheme(uri)) {
        // FULL: the certificate chain and the host name are both checked.
        config.sslOptions(SslOptions.builder().sslVerifyMode(SslVerifyMode.FULL).build());
      }
      ConnectionPoolConfig pool = poolConfig();
      // Checked on borrow, after idle only (CheckedConnections); no background PING.
      pool.setTestOnBorrow(true);
      pool.setTestWhileIdle(false);
      JedisClientConfig clientConfig = config.build();
      CheckedConnections connections = new CheckedConnections(
          new ConnectionFactory(hostAndPort, clientConfig), idleWindow);
      RedisClient client = RedisClient.builder()
          .hostAndPort(hostAndPort)
          .clientConfig(clientConfig)
          .connectionProvider(new PooledConnectionProvider(connections, pool))
          .build();
      String server = hostAndPort.getHost() + ":" + hostAndPort.getPort();
      RedisTokenStore store =
          new RedisTokenStore(this, new RedisCommands(client, connections, server));
      try {
        store.ensureReady();
      } catch (StoreUnavailableException e) {
        if (!RedisCommands.isConnectionFailure(e.getCause())) {
          store.close();
          throw e;
        }
        LOG.warn("Redis at {} not reachable yet; calls fail until it is: {}", server,
            e.getMessage());
      }
      return store;
    }

    /** Timeouts, name and credentials (each may be null) of a client. */
    private DefaultJedisClientConfig.Builder clientConfig(String user, String password) {
      DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
          .connectionTimeoutMillis(Math.toIntExact(connectTimeout.toMillis()))
          .socketTimeoutMillis(Math.toIntExact(socketTimeout.toMillis()))
          .clientName("tokenkeeper");
      if (user != null) {
        config.user(user);
      }
      if (password != null) {
        config.password(password);
      }
      return config;
    }

    /** A pool of {@code poolSize}, waiting at most the connect timeout for a connection. */
    private ConnectionPoolConfig poolConfig() {
      ConnectionPoolConfig pool = new ConnectionPoolConfig();
      pool.setMaxTotal(poolSize);
      pool.setMaxIdle(poolSize);
      pool.setMinIdle(0);
      pool.setBlockWhenExhausted(true);
      pool.setMaxWait(connectTimeout);
      return pool;
    }

    /**
     * The store over a cluster: Jedis's cluster client, one pool per node. A call is retried
     * only where Redis refused it before running it (a slot moved or being moved by resharding:
     * {@code MOVED}, {@code ASK}, {@code TRYAGAIN}), within the socket timeout for the whole
     * call, never after a connection failed with the command sent ({@link ClusterRetries}).
     * Idle connections are checked by a background PING every second rather than on borrow.
     */
    private RedisTokenStore buildCluster() {
      String[] credentials = credentials(uri);
      DefaultJedisClientConfig.Builder config = clientConfig(credentials[0], credentials[1]);
      ConnectionPoolConfig pool = poolConfig();
      pool.setTestWhileIdle(true);
      pool.setTimeBetweenEvictionRuns(Duration.ofSeconds(1));
      String servers = String.join(",", clusterNodes.stream()
          .map(node -> node.getHost() + ":" + node.getPort()).toList());
      RedisClusterClient client;
      try {
        JedisClientConfig clientConfig = config.build();
        Set<HostAndPort> nodes = new LinkedHashSet<>(clusterNodes);
        ClusterConnectionProvider provider =
            new ClusterConnectionProvider(nodes, clientConfig, pool);
        client = RedisClusterClient.builder()
            .nodes(nodes)
            .clientConfig(clientConfig)
            .connectionProvider(provider)
            .commandExecutor(new ClusterRetries(provider, socketTimeout))
            .build();
      } catch (JedisException e) {
        throw new StoreUnavailableException(
            "Redis Cluster at " + servers + " unavailable: " + e.getMessage(), e);
      }
      RedisTokenStore store = new RedisTokenStore(this, new RedisCommands(client, servers));
      try {
        store.ensureReady();
      } catch (StoreUnavailableException e) {
        store.close();
        throw e;
      }
      return store;
    }

    /** The nodes of a {@code redis-cluster://} URI; the message never repeats the URI. */
    private static List<HostAndPort> clusterNodes(URI uri) {
      String authority = uri.getRawAuthority();
      if (authority == null || authority.isEmpty()) {
        throw new IllegalArgumentException("uri has no host: redis-cluster://...");
      }
      String path = uri.getRawPath();
      if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null) {
        throw new IllegalArgumentException("a redis-cluster uri has no database or options");
      }
      String hosts = authority.substring(authority.lastIndexOf('@') + 1);
      List<HostAndPort> nodes = new ArrayList<>();
      for (String node : hosts.split(",", -1)) {
        Matcher matcher = NODE.matcher(node);
        if (!matcher.matches() || Integer.parseInt(matcher.group(2)) > 65535) {
          throw new IllegalArgumentException(
              "each redis-cluster node must be HOST:PORT, comma-separated");
        }
        String host = matcher.group(1).replace("[", "").replace("]", "");
        nodes.add(new HostAndPort(host, Integer.parseInt(matcher.group(2))));
      }
      return List.copyOf(nodes);
    }

    /** The user and password of {@code uri}'s user info ({@code [user]:password}), decoded. */
    private static String[] credentials(URI uri) {
      String info = uri.getRawAuthority();
      int at = info == null ? -1 : info.lastIndexOf('@');
      if (at < 0) {
        return new String[] {null, null};
      }
      String userInfo = info.substring(0, at);
      int colon = userInfo.indexOf(':');
      String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
      String password = colon < 0 ? null : userInfo.substring(colon + 1);
      return new String[] {
          user.isEmpty() ? null : decode(user), password == null ? null : decode(password)};
    }

    /** Percent-decoding only: a {@code +} in a URI's user info is a plus, not a space. */
    private static String decode(String text) {
      return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static Duration requireTimeout(Duration value, String name) {
      Objects.requireNonNull(value, name);
      if (value.toMillis() < 1 || value.compareTo(MAX_TIMEOUT) > 0) {
        throw new IllegalArgumentException(name + " must be 1 ms to 1 minute: " + value);
      }
      return value;
    }

    private static void requireUnset(Object current, String name) {
      if (current != null) {
        throw new IllegalStateException(name + " was already set");
      }
    }
  }
}
