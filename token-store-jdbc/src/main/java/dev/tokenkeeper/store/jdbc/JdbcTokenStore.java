package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.Rotation;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TokenStore} kept in the application's relational database, through its
 * {@link DataSource}: several instances behind a load balancer share one set of sessions, backed
 * up and replicated with the rest of the application's data. PostgreSQL is the supported
 * database.
 *
 * <pre>{@code
 * DataSource pool = ...; // the application's pool, e.g. HikariCP over the PostgreSQL driver
 * TokenStore store = JdbcTokenStore.builder()
 *     .dataSource(pool)
 *     .createSchemaIfMissing(true)            // or run db/tokenkeeper/V1__tokenkeeper.sql
 *     .build();
 * TokenService tokens = TokenService.builder().store(store).build();
 * }</pre>
 *
 * <h2>Layout</h2>
 *
 * Two tables, {@code tokenkeeper_session} and {@code tokenkeeper_token}, defined by the
 * versioned resource {@code db/tokenkeeper/V1__tokenkeeper.sql}, which Flyway or Liquibase can run
 * as it is. A token's row is keyed by the digest of its secret ({@code bytea}); a session's by its
 * public id. No secret is ever sent to the database, and no log line or exception of this store
 * holds a token or a full hash.
 *
 * <h2>Atomicity</h2>
 *
 * Each rule is one SQL step: a rotation is a conditional {@code UPDATE} of the session (live, and
 * its current refresh token the one expected) in the transaction that tombstones the presented
 * token and inserts the new pair; a logout is one {@code UPDATE}, logout-all one statement for
 * the subject; a touch only moves times forward and never changes a revoked session. Lock order
 * and purging are described at {@code Dialect}. The store expects PostgreSQL's default isolation,
 * READ COMMITTED.
 *
 * <h2>Durability</h2>
 *
 * {@link #create}, {@link #rotate}, {@link #revokeSession} and {@link #revokeAll} return once
 * the database has committed: with PostgreSQL's defaults ({@code synchronous_commit = on},
 * {@code fsync = on}) the change survives a crash of the database server and its machine. Do not
 * turn {@code synchronous_commit} off for this database or role: a logout could then be undone by
 * a crash. {@link #touch} is coalesced: buffered and written in batches every
 * {@code touchFlushInterval} and on {@link #close()}.
 *
 * <h2>Failure</h2>
 *
 * Every statement carries the builder's {@code statementTimeout}; connecting and socket reads are
 * bounded by the pool and driver (recommended: pool connection timeout 2 s, PostgreSQL driver
 * {@code connectTimeout=2}, {@code socketTimeout=10}, {@code cancelSignalTimeout=2},
 * {@code tcpKeepAlive=true}; without {@code cancelSignalTimeout} a statement timing out on a hung
 * server waits 10 s more for its cancel request). A failure
 * throws {@link StoreUnavailableException} and acknowledges nothing; the store keeps no state
 * about it, so once the database answers it serves again by itself.
 *
 * <h2>Near cache</h2>
 *
 * Off by default. {@link Builder#nearCacheTtl} lets {@link #find} answer an access token from
 * memory for a short time; a refresh token is never cached, so every refresh and rotation reads
 * the database. The trade-off is stated there.
 *
 * <p>Thread-safe; share one per application. It does not own the {@code DataSource}: closing
 * the store leaves the pool open.
 */
public final class JdbcTokenStore implements TokenStore {

  private static final Logger LOG = LoggerFactory.getLogger(JdbcTokenStore.class);

  private static final int TOUCH_BUFFER_MAX_ENTRIES = 100_000;
  private static final int TOUCH_BATCH = 500;
  private static final int NEAR_CACHE_MAX_ENTRIES = 100_000;

  private final DataSource dataSource;
  private final Dialect dialect;
  private final int statementTimeoutSeconds;
  private final int purgeBatchSize;
  private final TouchBuffer touches = new TouchBuffer(TOUCH_BUFFER_MAX_ENTRIES);
  private final ScheduledExecutorService flusher;
  /** Null when off (the default). */
  private final NearCache nearCache;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Set while touch flushes fail, so an outage logs one warning, not one per interval. */
  private final AtomicBoolean flushFailing = new AtomicBoolean();

  private JdbcTokenStore(Builder builder) {
    this.dataSource = builder.dataSource;
    this.dialect = Dialect.POSTGRESQL;
    this.statementTimeoutSeconds =
        (int) Math.max(1, (builder.statementTimeout.toMillis() + 999) / 1000);
    this.purgeBatchSize = builder.purgeBatchSize;
    this.nearCache = builder.nearCacheTtl.isZero() ? null
        : new NearCache(builder.nearCacheTtl, NEAR_CACHE_MAX_ENTRIES, builder.ticker,
            builder.clock);
    this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "tokenkeeper-jdbc-touch-flusher");
      thread.setDaemon(true);
      return thread;
    });
    long every = builder.touchFlushInterval.toMillis();
    flusher.scheduleWithFixedDelay(this::flushQuietly, every, every, TimeUnit.MILLISECONDS);
  }

  /** A builder with the defaults stated on each setter. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@inheritDoc}
   *
   * <p>One transaction; returns once it is committed.
   */
  @Override
  public void create(SessionRecord session, List<TokenRecord> tokens) {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(tokens, "tokens");
    requireOpen();
    requireOwnTokens(session.id(), tokens);
    inTransaction("create", connection -> {
      try (PreparedStatement insert = prepare(connection, dialect.insertSession)) {
        Rows.bindSession(insert, session);
        insert.executeUpdate();
      }
      insertTokens(connection, tokens);
      return null;
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>One query: the token joined with its session. With the near cache on, may answer from
   * memory, but never for a refresh token; see {@link Builder#nearCacheTtl}.
   */
  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    Objects.requireNonNull(hash, "hash");
    requireOpen();
    TokenEntry found = nearCache == null ? null : nearCache.get(hash);
    if (found == null) {
      NearCache.Stamp stamp = nearCache == null ? null : nearCache.stamp();
      found = run("find", connection -> {
        try (PreparedStatement query = prepare(connection, dialect.find)) {
          query.setBytes(1, Rows.bytes(hash));
          try (ResultSet row = query.executeQuery()) {
            return row.next()
                ? new TokenEntry(Rows.token(row, 1), Rows.session(row, 7))
                : null;
          }
        }
      });
      if (found == null) {
        return Optional.empty();
      }
      if (nearCache != null) {
        nearCache.put(found, stamp);
      }
    }
    SessionRecord session = touches.overlay(found.session());
    return Optional.of(session == found.session() ? found : new TokenEntry(found.token(), session));
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    Objects.requireNonNull(id, "id");
    requireOpen();
    return run("findSession", connection -> {
      try (PreparedStatement query = prepare(connection, dialect.findSession)) {
        query.setString(1, id.value());
        try (ResultSet row = query.executeQuery()) {
          return row.next()
              ? Optional.of(touches.overlay(Rows.session(row, 1)))
              : Optional.<SessionRecord>empty();
        }
      }
    });
  }

  @Override
  public List<SessionRecord> findSessions(String subject) {
    Objects.requireNonNull(subject, "subject");
    requireOpen();
    if (!Subjects.storable(subject)) {
      return List.of();
    }
    return run("findSessions", connection -> {
      try (PreparedStatement query = prepare(connection, dialect.findSessions)) {
        query.setString(1, subject);
        try (ResultSet row = query.executeQuery()) {
          List<SessionRecord> found = new ArrayList<>();
          while (row.next()) {
            found.add(touches.overlay(Rows.session(row, 1)));
          }
          return found;
        }
      }
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>One transaction: the session's conditional {@code UPDATE} (which locks it), the
   * tombstone, the new tokens; returns once committed. A rotation that waited on a concurrent
   * logout or rotation of the same session finds the condition false and changes nothing.
   */
  @Override
  public boolean rotate(Rotation rotation) {
    Objects.requireNonNull(rotation, "rotation");
    requireOpen();
    try {
      return rotateInDatabase(rotation);
    } finally {
      // Applied or not, what this store cached of the session may be stale: a failed
      // conditional UPDATE is followed by a fresh read, which must come from the database.
      if (nearCache != null) {
        nearCache.invalidateSession(rotation.sessionId());
      }
    }
  }

  private boolean rotateInDatabase(Rotation rotation) {
    return inTransaction("rotate", connection -> {
      try (PreparedStatement session = prepare(connection, dialect.rotateSession)) {
        Rows.setHash(session, 1, rotation.refresh().hash());
        Rows.setInstant(session, 2, rotation.at());
        Rows.setInstant(session, 3, rotation.expiresAt());
        session.setString(4, rotation.sessionId().value());
        Rows.setHash(session, 5, rotation.expectedCurrent());
        Rows.setInstant(session, 6, rotation.at());
        if (session.executeUpdate() != 1) {
          connection.rollback();
          return false;
        }
      }
      try (PreparedStatement token = prepare(connection, dialect.rotateToken)) {
        Rows.setInstant(token, 1, rotation.at());
        token.setBytes(2, rotation.successor() == null ? null : rotation.successor().bytes());
        Rows.setInstant(token, 3,
            rotation.successor() == null ? null : rotation.successor().until());
        Rows.setHash(token, 4, rotation.rotated());
        token.setString(5, rotation.sessionId().value());
        if (token.executeUpdate() != 1) {
          connection.rollback();
          return false;
        }
      }
      insertTokens(connection, rotation.added());
      try (PreparedStatement drop = prepare(connection, dialect.rotateDropsSuccessors)) {
        drop.setString(1, rotation.sessionId().value());
        Rows.setInstant(drop, 2, rotation.at());
        drop.executeUpdate();
      }
      return true;
    });
  }

  /** {@inheritDoc} One {@code UPDATE}; returns once committed. */
  @Override
  public boolean revokeSession(SessionId id, Instant at) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(at, "at");
    requireOpen();
    try {
      return run("revokeSession", connection -> {
        try (PreparedStatement update = prepare(connection, dialect.revokeSession)) {
          Rows.setInstant(update, 1, at);
          update.setString(2, id.value());
          return update.executeUpdate() == 1;
        }
      });
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
   * <p>One statement; returns once committed. Another store's near cache may still serve a
   * revoked session's access token for up to its {@link Builder#nearCacheTtl}.
   */
  @Override
  public int revokeAll(String subject, Instant at) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(at, "at");
    requireOpen();
    if (!Subjects.storable(subject)) {
      Rows.nanos(at); // the same refusal of an unstorable instant as a stored subject gets
      return 0;
    }
    try {
      return run("revokeAll", connection -> {
        try (PreparedStatement update = prepare(connection, dialect.revokeAll)) {
          Rows.setInstant(update, 1, at);
          update.setString(2, subject);
          Rows.setInstant(update, 3, at);
          try (ResultSet row = update.executeQuery()) {
            row.next();
            return row.getInt(1);
          }
        }
      });
    } finally {
      if (nearCache != null) {
        nearCache.invalidateSubject(subject);
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Buffered, never blocking on the database: written within one {@code touchFlushInterval}
   * (and on close), and seen at once by this process's reads.
   */
  @Override
  public void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    requireOpen();
    Rows.nanos(lastUsedAt);
    Rows.nanos(expiresAt);
    if (!touches.offer(id, lastUsedAt, expiresAt)) {
      LOG.debug("Touch buffer full; dropped a touch of session {}", id);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Writes buffered touches first (so a session this process kept alive is not purged), then
   * deletes expired sessions with their tokens and clears sealed successors past their window,
   * each in batches of {@code purgeBatchSize} rows, each batch its own short transaction. Rows
   * another instance is purging or using are skipped, never waited for.
   */
  @Override
  public int purgeExpired(Instant now) {
    Objects.requireNonNull(now, "now");
    requireOpen();
    flush();
    long at = Rows.nanos(now);
    int purged = inBatches(dialect.purgeSessions, at);
    inBatches(dialect.purgeSuccessors, at);
    if (purged > 0 && nearCache != null) {
      nearCache.clear();
    }
    return purged;
  }

  /** Runs {@code sql} (instant, limit) until a batch comes back short; returns the rows done. */
  private int inBatches(String sql, long at) {
    int done = 0;
    int batch;
    do {
      batch = run("purgeExpired", connection -> {
        try (PreparedStatement statement = prepare(connection, sql)) {
          statement.setLong(1, at);
          statement.setInt(2, purgeBatchSize);
          return statement.executeUpdate();
        }
      });
      done += batch;
    } while (batch == purgeBatchSize);
    return done;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Writes buffered touches and stops the flusher; the {@code DataSource} stays open.
   *
   * @throws StoreUnavailableException if buffered touches could not be written (they are lost;
   *     the store is closed all the same)
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    flusher.shutdown();
    try {
      if (!flusher.awaitTermination(10, TimeUnit.SECONDS)) {
        flusher.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    flush();
  }

  /**
   * Drops this store as a process that died would, for tests of a crash: the flusher is stopped
   * and waited for, buffered touches are never written. Nothing of this store reaches the
   * database after it returns; the {@code DataSource} is left as it is.
   */
  void abandon() {
    closed.set(true);
    flusher.shutdownNow();
    try {
      flusher.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The pool this store uses; for tests that reopen a store on the same database. */
  DataSource dataSource() {
    return dataSource;
  }

  /** Writes every buffered touch now, in batches, sessions in id order. */
  void flush() {
    List<TouchBuffer.Touch> owed = touches.owed();
    for (int from = 0; from < owed.size(); from += TOUCH_BATCH) {
      List<TouchBuffer.Touch> batch = owed.subList(from, Math.min(owed.size(), from + TOUCH_BATCH));
      inTransaction("touch", connection -> {
        try (PreparedStatement update = prepare(connection, dialect.touch)) {
          for (TouchBuffer.Touch touch : batch) {
            Rows.setInstant(update, 1, touch.lastUsedAt());
            Rows.setInstant(update, 2, touch.expiresAt());
            update.setString(3, touch.id().value());
            update.addBatch();
          }
          update.executeBatch();
        }
        return null;
      });
      touches.written(batch);
    }
  }

  private void flushQuietly() {
    try {
      flush();
      if (flushFailing.compareAndSet(true, false)) {
        LOG.info("Writing session touches to {} works again", dialect.name);
      }
    } catch (RuntimeException e) {
      if (flushFailing.compareAndSet(false, true)) {
        LOG.warn("Cannot write session touches to {}; will retry every interval: {}",
            dialect.name, e.getMessage());
      }
    }
  }

  private void insertTokens(Connection connection, List<TokenRecord> tokens)
      throws SQLException {
    if (tokens.isEmpty()) {
      return;
    }
    try (PreparedStatement insert = prepare(connection, dialect.insertToken)) {
      for (TokenRecord token : tokens) {
        Rows.bindToken(insert, token);
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  private static void requireOwnTokens(SessionId id, List<TokenRecord> tokens) {
    for (TokenRecord token : tokens) {
      Objects.requireNonNull(token, "token");
      if (!token.sessionId().equals(id)) {
        throw new IllegalArgumentException(
            "token of session " + token.sessionId() + " added to session " + id);
      }
    }
  }

  private PreparedStatement prepare(Connection connection, String sql) throws SQLException {
    PreparedStatement statement = connection.prepareStatement(sql);
    statement.setQueryTimeout(statementTimeoutSeconds);
    return statement;
  }

  /** Work on one connection; may throw SQLException, which {@link #run} translates. */
  private interface Work<T> {
    T on(Connection connection) throws SQLException;
  }

  private <T> T run(String operation, Work<T> work) {
    try (Connection connection = dataSource.getConnection()) {
      // A pool may lend connections with auto-commit off (HikariCP's autoCommit=false, usual
      // under JPA); a lone statement must still commit, or the pool rolls it back on return.
      boolean lentWithAutoCommit = connection.getAutoCommit();
      if (!lentWithAutoCommit) {
        connection.setAutoCommit(true);
      }
      try {
        return work.on(connection);
      } finally {
        if (!lentWithAutoCommit) {
          setAutoCommitQuietly(connection, false);
        }
      }
    } catch (SQLException e) {
      throw translate(operation, e);
    }
  }

  /** Runs {@code work} in one transaction, committed if it returns; rolled back if it throws. */
  private <T> T inTransaction(String operation, Work<T> work) {
    return run(operation, connection -> {
      connection.setAutoCommit(false);
      try {
        T result = work.on(connection);
        connection.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(connection);
        throw e;
      } finally {
        setAutoCommitQuietly(connection, true);
      }
    });
  }

  private RuntimeException translate(String operation, SQLException e) {
    if (dialect.isDuplicateKey(e)) {
      // The driver's message quotes the key: not passed on, so no hash reaches a log.
      return new IllegalArgumentException(dialect.isDuplicateSession(e)
          ? "a session is already stored under that id"
          : "a token is already stored under one of the given hashes");
    }
    String message = dialect.name + " unavailable for " + operation + " (SQLState "
        + e.getSQLState() + ")";
    return dialect.mayQuoteValues(e)
        ? new StoreUnavailableException(message)
        : new StoreUnavailableException(message, e);
  }

  private static void rollbackQuietly(Connection connection) {
    try {
      connection.rollback();
    } catch (SQLException ignored) {
      // The connection is broken; the database rolls the transaction back when it notices.
    }
  }

  private static void setAutoCommitQuietly(Connection connection, boolean autoCommit) {
    try {
      connection.setAutoCommit(autoCommit);
    } catch (SQLException ignored) {
      // A broken connection: the pool discards it.
    }
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new IllegalStateException("store is closed");
    }
  }

  /**
   * Builds a {@link JdbcTokenStore}. Each option may be set once; {@link #build()} checks that a
   * {@code DataSource} was given and fills in the defaults stated on each setter.
   *
   * <p>Not thread-safe; use from one thread, then discard.
   */
  public static final class Builder {

    private static final Duration MAX_STATEMENT_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration MAX_TOUCH_FLUSH_INTERVAL = Duration.ofMinutes(1);

    /** The longest {@link #nearCacheTtl}: 5 seconds, as for the Redis store. */
    public static final Duration MAX_NEAR_CACHE_TTL = Duration.ofSeconds(5);

    private DataSource dataSource;
    private Boolean createSchemaIfMissing;
    private Duration statementTimeout;
    private Duration touchFlushInterval;
    private Integer purgeBatchSize;
    private Duration nearCacheTtl;
    private Clock clock;
    private LongSupplier ticker;

    private Builder() {}

    /**
     * The application's connection pool to the database. Required. Give it connection and socket
     * timeouts of a few seconds (see the class notes): they, with {@link #statementTimeout}, bound
     * how long a call can wait for a database that does not answer.
     */
    public Builder dataSource(DataSource dataSource) {
      requireUnset(this.dataSource, "dataSource");
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      return this;
    }

    /**
     * Whether {@link #build()} creates the tables when they are missing, from the same resource
     * a migration tool would run ({@code db/tokenkeeper/V1__tokenkeeper.sql}). Default: false,
     * for applications whose migrations (Flyway, Liquibase) own the schema.
     */
    public Builder createSchemaIfMissing(boolean create) {
      requireUnset(this.createSchemaIfMissing, "createSchemaIfMissing");
      this.createSchemaIfMissing = create;
      return this;
    }

    /**
     * Longest a single statement may run before the database is asked to cancel it and the call
     * fails with {@link StoreUnavailableException}; JDBC counts it in whole seconds, rounded up.
     * Default: 5 seconds.
     *
     * @throws IllegalArgumentException if not positive or over 5 minutes
     */
    public Builder statementTimeout(Duration timeout) {
      requireUnset(this.statementTimeout, "statementTimeout");
      Objects.requireNonNull(timeout, "statementTimeout");
      if (timeout.isNegative() || timeout.isZero()
          || timeout.compareTo(MAX_STATEMENT_TIMEOUT) > 0) {
        throw new IllegalArgumentException(
            "statementTimeout must be positive and at most " + MAX_STATEMENT_TIMEOUT + ": "
                + timeout);
      }
      this.statementTimeout = timeout;
      return this;
    }

    /**
     * How often buffered touches (last use, sliding expiry) are written. Other instances see a
     * session's last use up to this late; one lost in a crash makes a session look older by at
     * most this, and may end an idle-timeout session this much early, never late. Default:
     * 1 second.
     *
     * @throws IllegalArgumentException if under 1 millisecond or over 1 minute
     */
    public Builder touchFlushInterval(Duration interval) {
      requireUnset(this.touchFlushInterval, "touchFlushInterval");
      Objects.requireNonNull(interval, "touchFlushInterval");
      if (interval.toMillis() < 1 || interval.compareTo(MAX_TOUCH_FLUSH_INTERVAL) > 0) {
        throw new IllegalArgumentException(
            "touchFlushInterval must be 1 ms to " + MAX_TOUCH_FLUSH_INTERVAL + ": " + interval);
      }
      this.touchFlushInterval = interval;
      return this;
    }

    /**
     * Most rows one purge transaction deletes or updates, so purging never holds many locks or
     * a long transaction. Default: 500.
     *
     * @throws IllegalArgumentException if not 1 to 100000
     */
    public Builder purgeBatchSize(int rows) {
      requireUnset(this.purgeBatchSize, "purgeBatchSize");
      if (rows < 1 || rows > 100_000) {
        throw new IllegalArgumentException("purgeBatchSize must be 1 to 100000: " + rows);
      }
      this.purgeBatchSize = rows;
      return this;
    }

    /**
     * Turns on a per-process cache of {@link #find} results, read at most {@code ttl} ago.
     * <b>Trade-off:</b> an access token whose session was revoked through another process
     * (logout everywhere on another instance) can still authenticate here for up to
     * {@code ttl}; revocations and refreshes through this store apply at once. A refresh never
     * answers from the cache: refresh tokens (current or rotated) are never cached, so every
     * refresh and every rotation's conditional {@code UPDATE} reads the database. Unknown
     * tokens are never cached, and a session ending within {@code ttl} of {@link #clock(Clock)}'s now
     * is always read from the database. Default: off ({@link Duration#ZERO}).
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
     * The clock the near cache compares sessions' expiry with: give the one the
     * {@code TokenService} uses. Default: {@link Clock#systemUTC()}.
     */
    public Builder clock(Clock clock) {
      requireUnset(this.clock, "clock");
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The near cache's monotonic time source, in nanoseconds; for tests. */
    Builder ticker(LongSupplier ticker) {
      requireUnset(this.ticker, "ticker");
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * The store. Touches the database only when {@link #createSchemaIfMissing} is on; otherwise
     * the database may be down, and calls fail with {@link StoreUnavailableException} until it
     * is up.
     *
     * @throws IllegalStateException if no {@code DataSource} was given
     * @throws StoreUnavailableException if the schema was to be created and could not be
     */
    public JdbcTokenStore build() {
      if (dataSource == null) {
        throw new IllegalStateException("dataSource is required");
      }
      createSchemaIfMissing = createSchemaIfMissing != null && createSchemaIfMissing;
      statementTimeout = statementTimeout == null ? Duration.ofSeconds(5) : statementTimeout;
      touchFlushInterval =
          touchFlushInterval == null ? Duration.ofSeconds(1) : touchFlushInterval;
      purgeBatchSize = purgeBatchSize == null ? 500 : purgeBatchSize;
      nearCacheTtl = nearCacheTtl == null ? Duration.ZERO : nearCacheTtl;
      clock = clock == null ? Clock.systemUTC() : clock;
      ticker = ticker == null ? System::nanoTime : ticker;
      if (createSchemaIfMissing) {
        try (Connection connection = dataSource.getConnection()) {
          Schema.createIfMissing(connection, Dialect.POSTGRESQL);
        } catch (SQLException e) {
          throw new StoreUnavailableException("cannot create the Tokenkeeper schema in "
              + Dialect.POSTGRESQL.name + " (SQLState " + e.getSQLState() + ")", e);
        }
      }
      return new JdbcTokenStore(this);
    }

    private static void requireUnset(Object value, String name) {
      if (value != null) {
        throw new IllegalStateException(name + " was already set");
      }
    }
  }
}
