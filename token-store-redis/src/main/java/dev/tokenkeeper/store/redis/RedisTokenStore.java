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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
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
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;
import redis.clients.jedis.exceptions.JedisConnectionException;
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
 * session id, own expiry, when rotated), a sealed successor beside a rotated token for the grace
 * window only, a set of each session's tokens, an index of each subject's sessions that holds only
 * sessions still in Redis, and a marker per subject for logout everywhere. No secret is
 * ever sent to Redis, only digests, and a sealed successor opens only with the rotated token's
 * plaintext. A session and all its keys share one TTL, ending at the session's expiry (computed
 * against the configured {@link Clock}, so the application's clock decides, not Redis's) and
 * stretched when a use or a refresh extends the session; so Redis drops expired sessions by
 * itself. A revoked session keeps its TTL: its tombstone, and its tokens', last as long as the
 * session would have. A Redis written by the previous release (layout 1) is upgraded in place when
 * the store first reaches it ({@code LayoutUpgrade}).
 *
 * <h2>Atomicity</h2>
 *
 * Every change is one Lua script ({@code EVALSHA}), atomic in Redis, applying token-core's rules
 * (each script names the core method it mirrors): a rotation is a compare-and-set on the
 * session's current refresh token that fails once the session is revoked; a revoke is one write
 * on the session; a touch never changes a revoked session; {@link #revokeAll} revokes every
 * session of the subject created before it, in one O(1) step (the subject's marker), so a
 * session created concurrently is either revoked or created after it (and live). {@link #find}
 * reads a token with its session in one script, one round trip. The store needs one standalone
 * Redis at one address: it does not follow a Sentinel failover (writes would then fail
 * READONLY, and nothing waits for replicas, so a logout acknowledged just before a failover could
 * be lost), and the scripts touch keys they learn from the records, which Redis Cluster does not
 * allow (a cluster is refused at start).
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

  private final RedisCommands redis;
  private final KeyLayout layout;
  private final LayoutUpgrade upgrade;
  private final Clock clock;
  private final TouchCoalescer touches;
  private final NearCache nearCache;
  private final ScheduledExecutorService flusher;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean ready;

  private RedisTokenStore(Builder builder, RedisCommands redis) {
    this.redis = redis;
    this.layout = new KeyLayout(builder.keyPrefix);
    this.upgrade = new LayoutUpgrade(redis, layout, builder.keyPrefix);
    this.clock = builder.clock;
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
  }

  /** A builder with the defaults stated on each setter. */
  public static Builder builder() {
    return new Builder();
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
    List<String> args = new ArrayList<>(8 + 2 * tokens.size() + 20);
    args.add(Long.toString(ttlMillis(session.expiresAt())));
    args.add(id.value());
    args.add(layout.tokenPrefix());
    args.add(layout.sessionPrefix());
    args.add(Integer.toString(tokens.size()));
    for (TokenRecord token : tokens) {
      args.add(KeyLayout.id(token.hash()));
      args.add(KeyLayout.expiry(token));
    }
    args.addAll(KeyLayout.fields(session));
    Object created = redis.write(CREATE, List.of(layout.sessionKey(id), layout.tokensOfKey(id),
        layout.indexKey(session.subject()), layout.markerKey(session.subject())), args);
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
      List<?> reply = RedisCommands.list(redis.read(FIND,
          List.of(layout.tokenKey(hash), layout.successorKey(hash)),
          List.of(layout.sessionPrefix(), layout.markerPrefix())));
      if (reply.isEmpty()) {
        return Optional.empty();
      }
      TokenRecord token = layout.decodeToken(hash, RedisCommands.fields(reply.get(0)),
          RedisCommands.text(reply.get(2)));
      Map<String, String> sessionFields = RedisCommands.fields(reply.get(1));
      found = new TokenEntry(token,
          layout.decodeSession(token.sessionId().value(), sessionFields));
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
    Map<String, String> fields = RedisCommands.fields(redis.read(FIND_SESSION,
        List.of(layout.sessionKey(id)), List.of(layout.markerPrefix())));
    if (fields.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(touches.overlay(layout.decodeSession(id.value(), fields)));
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
    String index = layout.indexKey(subject);
    List<String> args = List.of(layout.sessionPrefix(), layout.markerPrefix(),
        Integer.toString(SUBJECT_BATCH));
    List<?> found = RedisCommands.list(redis.read(FIND_SESSIONS, List.of(index), args));
    if (!isPage(found)) {
      return decodeSessions(found, new HashSet<>());
    }
    List<SessionRecord> sessions = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    redis.scanSorted(index, SUBJECT_BATCH, ids -> {
      List<String> page = new ArrayList<>(args);
      page.addAll(ids);
      sessions.addAll(decodeSessions(
          RedisCommands.list(redis.read(FIND_SESSIONS, List.of(index), page)), seen));
      return 0;
    });
    return sessions;
  }

  /** Alternating ids and field lists as sessions, skipping ids already {@code seen}. */
  private List<SessionRecord> decodeSessions(List<?> found, Set<String> seen) {
    List<SessionRecord> sessions = new ArrayList<>(found.size() / 2);
    for (int i = 0; i + 1 < found.size(); i += 2) {
      String id = RedisCommands.text(found.get(i));
      if (seen.add(id)) {
        sessions.add(touches.overlay(layout.decodeSession(id,
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
    List<String> keys = List.of(layout.sessionKey(id), layout.tokensOfKey(id),
        layout.tokenKey(rotation.rotated()), layout.successorKey(rotation.rotated()),
        layout.tokenKey(refresh.hash()), layout.tokenKey(access.hash()));
    List<String> args = List.of(
        id.value(),
        rotation.expectedCurrent() == null ? "" : KeyLayout.id(rotation.expectedCurrent()),
        KeyLayout.encode(rotation.at()),
        KeyLayout.encode(rotation.expiresAt()),
        Long.toString(ttlMillis(rotation.expiresAt())),
        rotation.successor() == null ? "" : KeyLayout.successor(rotation.successor()),
        rotation.successor() == null ? "1" : Long.toString(ttlMillis(rotation.successor().until())),
        KeyLayout.id(refresh.hash()), KeyLayout.expiry(refresh),
        KeyLayout.id(access.hash()), KeyLayout.expiry(access),
        layout.tokenPrefix(), layout.indexPrefix(), layout.markerPrefix(),
        layout.sessionPrefix());
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
      Object revoked = redis.write(REVOKE_SESSION, List.of(layout.sessionKey(id)),
          List.of(when, layout.markerPrefix()));
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
    List<String> keys = List.of(layout.indexKey(subject), layout.markerKey(subject));
    try {
      List<?> reply = RedisCommands.list(redis.write(REVOKE_ALL, keys,
          List.of(layout.sessionPrefix(), when, Integer.toString(SUBJECT_BATCH))));
      if (!isPage(reply)) {
        return Math.toIntExact((Long) reply.get(0));
      }
      String ra = RedisCommands.text(reply.get(1));
      long count = redis.scanSorted(layout.indexKey(subject), SUBJECT_BATCH, ids -> {
        List<String> args = new ArrayList<>(3 + ids.size());
        args.addAll(List.of(layout.sessionPrefix(), when, ra));
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
   * drops those expired at {@code now} by their stored expiry, with all their tokens. Sealed
   * successors need no purge: Redis drops each at the end of its grace window.
   */
  @Override
  public int purgeExpired(Instant now) {
    Objects.requireNonNull(now, "now");
    requireOpen();
    List<String> args = List.of(KeyLayout.encode(now),
        Integer.toString(layout.sessionPrefix().length()), layout.tokensOfPrefix(),
        layout.tokenPrefix(), layout.successorPrefix(), layout.indexPrefix(),
        layout.sessionPrefix());
    long count = redis.scan(layout.sessionPrefix(), PURGE_BATCH,
        keys -> (Long) redis.write(PURGE, keys, args));
    if (count > 0 && nearCache != null) {
      nearCache.clear();
    }
    return Math.toIntExact(count);
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

  @Override
  public String toString() {
    return "RedisTokenStore[" + redis.server() + ", prefix=" + layout.root() + "]";
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
    List<String> args = List.of(KeyLayout.encode(touch.lastUsedAt()),
        KeyLayout.encode(touch.expiresAt()), Long.toString(ttlMillis(touch.expiresAt())),
        layout.tokenPrefix(), layout.indexPrefix(), layout.markerPrefix(),
        layout.sessionPrefix(), touch.id().value());
    redis.write(TOUCH, List.of(layout.sessionKey(touch.id()), layout.tokensOfKey(touch.id())),
        args);
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
      upgrade.ensureDone();
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
    private static final Pattern KEY_PREFIX = Pattern.compile("[A-Za-z0-9:_.\\-]{1,64}");

    private URI uri;
    private String keyPrefix;
    private Duration connectTimeout;
    private Duration socketTimeout;
    private Integer poolSize;
    private Duration touchPersistInterval;
    private Duration nearCacheTtl;
    private Clock clock;
    private LongSupplier ticker;
    private int touchMapMaxEntries = 100_000;
    private Duration idleWindow = Duration.ofMillis(500);

    private Builder() {}

    /**
     * The server, as {@code redis://[[user]:password@]host[:port][/db]}, or {@code rediss://...}
     * for TLS (verified against the JVM's trust store). Port defaults to 6379, database to 0; a
     * password alone authenticates as the default user, with a user through Redis ACLs. Required.
     *
     * @throws IllegalArgumentException if the scheme is not {@code redis} or {@code rediss}, or
     *     the host is missing
     */
    public Builder uri(URI uri) {
      requireUnset(this.uri, "uri");
      Objects.requireNonNull(uri, "uri");
      String scheme = uri.getScheme();
      if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
        throw new IllegalArgumentException("uri scheme must be redis or rediss: " + scheme);
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
     * The clock that turns a session's expiry into its record's Redis TTL: give the one the
     * {@code TokenService} uses. Default: {@link Clock#systemUTC()}.
     */
    public Builder clock(Clock clock) {
      requireUnset(this.clock, "clock");
      this.clock = Objects.requireNonNull(clock, "clock");
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
     * The store. Does not need Redis to be up: if it is not, calls fail with
     * {@link StoreUnavailableException} until it is. When Redis answers (now, else at the first
     * call), its deployment is checked: an evicting {@code maxmemory-policy} (anything but
     * {@code noeviction}) or cluster mode is refused; persistence short of
     * {@code appendonly yes} with {@code appendfsync always}, or settings this user may not
     * read, are logged as warnings. Then keys the previous release wrote under this prefix are
     * upgraded to the current layout.
     *
     * @throws IllegalStateException if no uri was given
     * @throws StoreUnavailableException if Redis answers but is refused (the message names the
     *     setting), or refuses this user (wrong password, no permission on its keys; the message
     *     never holds the password)
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

      HostAndPort hostAndPort = JedisURIHelper.getHostAndPort(uri);
      DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
          .connectionTimeoutMillis(Math.toIntExact(connectTimeout.toMillis()))
          .socketTimeoutMillis(Math.toIntExact(socketTimeout.toMillis()))
          .database(JedisURIHelper.getDBIndex(uri))
          .clientName("tokenkeeper");
      if (JedisURIHelper.isRedisSSLScheme(uri)) {
        // FULL: the certificate chain and the host name are both checked.
        config.sslOptions(SslOptions.builder().sslVerifyMode(SslVerifyMode.FULL).build());
      }
      String user = JedisURIHelper.getUser(uri);
      String password = JedisURIHelper.getPassword(uri);
      if (user != null && !user.isEmpty()) {
        config.user(user);
      }
      if (password != null) {
        config.password(password);
      }
      ConnectionPoolConfig pool = new ConnectionPoolConfig();
      pool.setMaxTotal(poolSize);
      pool.setMaxIdle(poolSize);
      pool.setMinIdle(0);
      pool.setBlockWhenExhausted(true);
      pool.setMaxWait(connectTimeout);
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
        if (!(e.getCause() instanceof JedisConnectionException)) {
          store.close();
          throw e;
        }
        LOG.warn("Redis at {} not reachable yet; calls fail until it is: {}", server,
            e.getMessage());
      }
      return store;
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
