package dev.tokenkeeper.store.redis;

import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStore;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
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
 * Each token is one Redis hash under {@code <prefix>t:<scheme>:<hex SHA-256>}: the session's
 * fields, and {@code r} once revoked. No secret is ever sent to Redis, only the digest. Each
 * record key's TTL follows its session's expiry (computed against the configured {@link Clock},
 * so the application's clock decides, not Redis's), so Redis drops expired tokens by itself. A
 * revoked record keeps its TTL: the tombstone lasts until the token would have expired, and the
 * store reports it revoked until then. Each subject has a set {@code <prefix>s:<subject>} of its
 * records' ids, living as long as its longest-lived record; members whose record Redis already
 * dropped are removed whenever a listing or revoke-all meets them.
 *
 * <h2>Atomicity</h2>
 *
 * Every change is one Lua script ({@code EVALSHA}), atomic in Redis: a revoke racing a touch
 * leaves the record revoked, and {@link #revokeAll} revokes every record of the subject indexed
 * when it runs, so a token saved concurrently is either revoked or saved after it (and live).
 * The store needs a single Redis primary (standalone or behind Sentinel); the scripts touch keys
 * they learn from the index, which Redis Cluster does not allow.
 *
 * <h2>Durability</h2>
 *
 * A write returns once Redis has acknowledged it. It survives a Redis restart only if Redis
 * persists: use {@code appendonly yes}; with the default {@code appendfsync everysec} an
 * acknowledged write survives a crash of the Redis process, and {@code appendfsync always} also
 * a crash of its machine. {@link #touch} is coalesced: at most one write per token per
 * {@code touchPersistInterval}, the rest flushed by a background thread every interval and on
 * {@link #close()}.
 *
 * <h2>Failure</h2>
 *
 * Connecting and every command are bounded by the configured timeouts, and waiting for a pooled
 * connection by the connect timeout; a failure throws {@link StoreUnavailableException} naming
 * the server ({@code host:port}, never the password) and keeping Jedis's exception as the cause.
 * Nothing then waits or retries in the background: each later call tries again, and once Redis
 * answers the store serves again by itself. After a connection failure the pool drops its idle
 * connections, which may be as dead as the one that failed, and a read is tried once more.
 *
 * <p>Thread-safe; share one per application. {@link #find} with the optional near cache is
 * described at {@link Builder#nearCacheTtl}.
 */
public final class RedisTokenStore implements TokenStore {

  private static final Logger LOG = LoggerFactory.getLogger(RedisTokenStore.class);

  private static final LuaScript SAVE = LuaScript.load("save");
  private static final LuaScript REVOKE = LuaScript.load("revoke");
  private static final LuaScript REVOKE_ALL = LuaScript.load("revoke_all");
  private static final LuaScript FIND_BY_SUBJECT = LuaScript.load("find_by_subject");
  private static final LuaScript TOUCH = LuaScript.load("touch");
  private static final LuaScript DELETE = LuaScript.load("delete");
  private static final LuaScript PURGE = LuaScript.load("purge");

  private static final int PURGE_BATCH = 500;
  private static final int TOUCH_MAP_MAX_ENTRIES = 100_000;
  private static final int NEAR_CACHE_MAX_ENTRIES = 100_000;

  private final RedisClient redis;
  private final String server;
  private final RecordCodec codec;
  private final Clock clock;
  private final TouchCoalescer touches;
  private final NearCache nearCache;
  private final ScheduledExecutorService flusher;
  private final AtomicBoolean closed = new AtomicBoolean();

  private RedisTokenStore(Builder builder, RedisClient redis, String server) {
    this.redis = redis;
    this.server = server;
    this.codec = new RecordCodec(builder.keyPrefix);
    this.clock = builder.clock;
    this.touches = new TouchCoalescer(builder.touchPersistInterval, TOUCH_MAP_MAX_ENTRIES);
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
   * <p>Returns once Redis has acknowledged the record (see the class notes on durability).
   *
   * @throws IllegalArgumentException if a record with the same hash is stored, or an instant is
   *     outside years -1200 to 30000
   */
  @Override
  public void save(TokenRecord record) {
    Objects.requireNonNull(record, "record");
    requireOpen();
    List<String> args = new ArrayList<>(16);
    args.add(Long.toString(ttlMillis(record.session().expiresAt())));
    args.add(RecordCodec.id(record.hash()));
    args.addAll(RecordCodec.fields(record));
    Object saved = call("save", () -> SAVE.run(redis,
        List.of(codec.recordKey(record.hash()), codec.indexKey(record.session().subject())),
        args));
    if (!Long.valueOf(1).equals(saved)) {
      throw new IllegalArgumentException("a record is already stored under " + record.hash());
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>With the near cache on, may answer from memory; see {@link Builder#nearCacheTtl}.
   */
  @Override
  public Optional<TokenRecord> find(TokenHash hash) {
    Objects.requireNonNull(hash, "hash");
    requireOpen();
    TokenRecord record = nearCache == null ? null : nearCache.get(hash);
    if (record == null) {
      NearCache.Stamp stamp = nearCache == null ? null : nearCache.stamp();
      Map<String, String> fields =
          callIdempotent("find", () -> redis.hgetAll(codec.recordKey(hash)));
      if (fields.isEmpty()) {
        return Optional.empty();
      }
      record = codec.decode(RecordCodec.id(hash), fields);
      if (nearCache != null) {
        nearCache.put(record, stamp);
      }
    }
    return Optional.of(touches.overlay(record));
  }

  @Override
  public List<TokenRecord> findBySubject(String subject) {
    Objects.requireNonNull(subject, "subject");
    requireOpen();
    List<?> found = (List<?>) callIdempotent("findBySubject", () -> FIND_BY_SUBJECT.run(redis,
        List.of(codec.indexKey(subject)), List.of(codec.recordPrefix())));
    List<TokenRecord> records = new ArrayList<>(found.size() / 2);
    for (int i = 0; i + 1 < found.size(); i += 2) {
      List<?> flat = (List<?>) found.get(i + 1);
      Map<String, String> fields = new HashMap<>();
      for (int j = 0; j + 1 < flat.size(); j += 2) {
        fields.put(text(flat.get(j)), text(flat.get(j + 1)));
      }
      records.add(touches.overlay(codec.decode(text(found.get(i)), fields)));
    }
    return records;
  }

  /** {@inheritDoc} Returns once Redis has acknowledged the revocation. */
  @Override
  public boolean revoke(TokenHash hash, Instant at) {
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(at, "at");
    requireOpen();
    String when = RecordCodec.encode(at);
    try {
      Object revoked = call("revoke",
          () -> REVOKE.run(redis, List.of(codec.recordKey(hash)), List.of(when)));
      return Long.valueOf(1).equals(revoked);
    } finally {
      // After the write, so a read racing it cannot put the unrevoked record back.
      invalidate(hash);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One Lua script: atomic in Redis. Another instance's near cache may still serve a revoked
   * token for up to its {@link Builder#nearCacheTtl}.
   */
  @Override
  public int revokeAll(String subject, Instant at) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(at, "at");
    requireOpen();
    String when = RecordCodec.encode(at);
    try {
      Object count = call("revokeAll", () -> REVOKE_ALL.run(redis,
          List.of(codec.indexKey(subject)), List.of(codec.recordPrefix(), when)));
      return Math.toIntExact((Long) count);
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
  public void touch(TokenHash hash, Instant lastUsedAt, Instant expiresAt) {
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    requireOpen();
    if (touches.isFull()) {
      flushQuietly();
      touches.clear();
    }
    TouchCoalescer.Touch due = touches.offer(hash, lastUsedAt, expiresAt);
    if (due != null) {
      try {
        write(due);
      } catch (StoreUnavailableException e) {
        touches.failed(due);
        LOG.warn("touch of token {} not written yet, will retry: {}", hash.fingerprint(),
            e.getMessage());
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Written at once.
   *
   * @throws StoreUnavailableException if Redis cannot be reached
   */
  @Override
  public boolean delete(TokenHash hash) {
    Objects.requireNonNull(hash, "hash");
    requireOpen();
    touches.forget(hash);
    try {
      Object deleted = call("delete", () -> DELETE.run(redis, List.of(codec.recordKey(hash)),
          List.of(codec.indexPrefix(), RecordCodec.id(hash))));
      return Long.valueOf(1).equals(deleted);
    } finally {
      invalidate(hash);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Redis drops expired records by itself when their TTL ends, so this is rarely needed: it
   * walks every record key with {@code SCAN} (in batches, never blocking Redis for long) and
   * drops those expired at {@code now} by their stored expiry.
   */
  @Override
  public int purgeExpired(Instant now) {
    Objects.requireNonNull(now, "now");
    requireOpen();
    String when = RecordCodec.encode(now);
    List<String> args = List.of(when, codec.indexPrefix(),
        Integer.toString(codec.recordPrefix().length()));
    ScanParams params = new ScanParams().match(codec.recordPrefix() + "*").count(PURGE_BATCH);
    int count = 0;
    String cursor = ScanParams.SCAN_POINTER_START;
    do {
      String at = cursor;
      ScanResult<String> page = callIdempotent("purgeExpired", () -> redis.scan(at, params));
      if (!page.getResult().isEmpty()) {
        Object purged = call("purgeExpired",
            () -> PURGE.run(redis, page.getResult(), args));
        count += Math.toIntExact((Long) purged);
      }
      cursor = page.getCursor();
    } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
    if (count > 0 && nearCache != null) {
      nearCache.clear();
    }
    return count;
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
      List<TouchCoalescer.Touch> owed = touches.drain();
      for (TouchCoalescer.Touch touch : owed) {
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
    return "RedisTokenStore[" + server + ", prefix=" + codec.recordPrefix() + "]";
  }

  /** Writes every owed touch now; for the flusher and tests. */
  void flushTouches() {
    for (TouchCoalescer.Touch touch : touches.drain()) {
      try {
        write(touch);
      } catch (StoreUnavailableException e) {
        touches.failed(touch);
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
    List<String> args = List.of(RecordCodec.encode(touch.lastUsedAt()),
        RecordCodec.encode(touch.expiresAt()), Long.toString(ttlMillis(touch.expiresAt())),
        codec.indexPrefix());
    call("touch", () -> TOUCH.run(redis, List.of(codec.recordKey(touch.hash())), args));
  }

  private void invalidate(TokenHash hash) {
    if (nearCache != null) {
      nearCache.invalidate(hash);
    }
  }

  /** The record TTL for a session ending at {@code expiresAt}, by the configured clock. */
  private long ttlMillis(Instant expiresAt) {
    long millis = Duration.between(clock.instant(), expiresAt).toMillis();
    // An already expired record still lands for a moment, so the caller sees a consistent save.
    return Math.max(1, millis + 1);
  }

  /** For reads: a connection failure is tried once more, on a fresh connection. */
  private <T> T callIdempotent(String operation, Supplier<T> command) {
    try {
      return command.get();
    } catch (JedisConnectionException e) {
      // After a Redis restart every pooled connection is dead; one retry on a new one saves
      // the request, and a second failure means Redis is really down.
      dropIdleConnections();
    } catch (JedisException e) {
      throw unavailable(operation, e);
    }
    return call(operation, command);
  }

  private <T> T call(String operation, Supplier<T> command) {
    try {
      return command.get();
    } catch (JedisConnectionException e) {
      dropIdleConnections();
      throw unavailable(operation, e);
    } catch (JedisException e) {
      throw unavailable(operation, e);
    }
  }

  private void dropIdleConnections() {
    try {
      redis.getPool().clear();
    } catch (RuntimeException e) {
      LOG.debug("could not clear idle Redis connections", e);
    }
  }

  private StoreUnavailableException unavailable(String operation, JedisException e) {
    return new StoreUnavailableException(
        "Redis at " + server + " unavailable for " + operation + ": " + e.getMessage(), e);
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new IllegalStateException("store is closed");
    }
  }

  private static String text(Object value) {
    return value instanceof byte[] bytes
        ? new String(bytes, StandardCharsets.UTF_8)
        : (String) value;
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
     * Least time between two writes of one token's last use and sliding expiry. Touches in
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
     * <b>Trade-off:</b> a token revoked through another process (logout everywhere on another
     * instance) can still authenticate here for up to {@code ttl}; revocations through this
     * process apply at once. Unknown tokens are never cached, and a session ending within
     * {@code ttl} is always read from Redis. Default: off ({@link Duration#ZERO}).
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

    /** The monotonic time source of the near cache, in nanoseconds; for tests. */
    Builder ticker(LongSupplier ticker) {
      requireUnset(this.ticker, "ticker");
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * The store. Does not need Redis to be up: if it is not, calls fail with
     * {@link StoreUnavailableException} until it is. Logs a warning when Redis answers but does
     * not persist with append-only files.
     *
     * @throws IllegalStateException if no uri was given
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
      pool.setTestWhileIdle(true);
      pool.setTimeBetweenEvictionRuns(Duration.ofSeconds(10));
      RedisClient client = RedisClient.builder()
          .hostAndPort(hostAndPort)
          .clientConfig(config.build())
          .poolConfig(pool)
          .build();
      String server = hostAndPort.getHost() + ":" + hostAndPort.getPort();
      warnIfNotPersistent(client, server);
      return new RedisTokenStore(this, client, server);
    }

    private static void warnIfNotPersistent(RedisClient client, String server) {
      try {
        String persistence = client.info("persistence");
        if (persistence.contains("aof_enabled:0")) {
          LOG.warn("Redis at {} has appendonly off: acknowledged tokens are lost if it restarts",
              server);
        }
      } catch (JedisException e) {
        LOG.warn("Redis at {} not reachable yet; calls fail until it is: {}", server,
            e.getMessage());
      }
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
