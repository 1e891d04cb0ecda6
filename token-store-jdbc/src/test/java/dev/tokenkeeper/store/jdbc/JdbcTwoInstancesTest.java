package dev.tokenkeeper.store.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.SealedSuccessor;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two application instances on one database, each a store on its own pool, doing at once what
 * every instance does: creating the schema on first start, and purging expired sessions while
 * touches of those sessions are written. Neither may fail or deadlock (PostgreSQL's SQLState
 * 40P01 would surface as a {@code StoreUnavailableException} naming it); between them every
 * expired session is removed exactly once, and live rows stay exactly as they were.
 */
class JdbcTwoInstancesTest {

  private static final int SCHEMA_TRIALS = 10;
  /** Enough expired sessions for hundreds of batches, so the purgers overlap for long. */
  private static final int EXPIRED = 20_000;
  private static final int LIVE = 2_000;
  /** Small batches: many short transactions from every purger, interleaved. */
  private static final int PURGE_BATCH = 50;
  /** Two purging threads per instance: four at once, two on each pool. */
  private static final int PURGERS = 4;
  /** One thread per instance writing touches of expired sessions while they are purged. */
  private static final int TOUCHERS = 2;
  /** Touches per flush: one transaction locking that many sessions, in id order. */
  private static final int TOUCH_BATCH = 200;
  /** V1's two primary keys and four indexes. */
  private static final int INDEXES = 6;
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final Duration WEEK = Duration.ofDays(7);

  private static PostgresServer server;
  private static TestPool first;
  private static TestPool second;

  @BeforeAll
  static void start() throws Exception {
    server = PostgresServer.start();
    first = new TestPool(server.url("connectTimeout=2&socketTimeout=30"));
    second = new TestPool(server.url("connectTimeout=2&socketTimeout=30"));
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable closeable : new AutoCloseable[] {first, second, server}) {
      if (closeable != null) {
        closeable.close();
      }
    }
  }

  /** Each test starts from a database without the schema, as a first deployment does. */
  @BeforeEach
  void dropSchema() throws Exception {
    execute("DROP TABLE IF EXISTS tokenkeeper_token, tokenkeeper_session");
  }

  private static TestPool pool(int instance) {
    return instance % 2 == 0 ? first : second;
  }

  @Test
  void createSchemaIfMissing_racedByTwoInstances_neitherFails_andOneSchemaServesBoth()
      throws Exception {
    for (int trial = 0; trial < SCHEMA_TRIALS; trial++) {
      dropSchema();
      List<JdbcTokenStore> stores = Concurrently.run(2, instance -> JdbcTokenStore.builder()
          .dataSource(pool(instance)).createSchemaIfMissing(true).build());
      try {
        String where = "trial " + trial;
        assertEquals(2, count("SELECT count(*) FROM pg_tables"
            + " WHERE tablename IN ('tokenkeeper_session', 'tokenkeeper_token')"), where);
        assertEquals(INDEXES, count("SELECT count(*) FROM pg_indexes"
            + " WHERE tablename IN ('tokenkeeper_session', 'tokenkeeper_token')"), where);
        SessionRecord session = session(new Random(trial), NOW.plus(WEEK), false);
        TokenRecord token = TokenRecord.of(hash(new Random(trial)), session.id());
        stores.get(0).create(session, List.of(token));
        assertEquals(session, stores.get(1).find(token.hash()).orElseThrow().session(), where);
      } finally {
        stores.forEach(JdbcTokenStore::close);
      }
    }
  }

  /**
   * Four purgers, two per instance, each in batches of {@value #PURGE_BATCH}; meanwhile each
   * instance writes touches of random expired sessions ({@value #TOUCH_BATCH} per transaction,
   * locked in id order, leaving them expired), the order in which a purge that waited for locks
   * rather than skipping them would deadlock against it. Sessions a touch held while the purgers
   * passed are left to the next purge, which then removes exactly those.
   */
  @Test
  void purgeExpired_fromTwoInstancesAtOnce_removesEachExpiredSessionOnce_leavesLiveRows()
      throws Exception {
    Random random = TestSeed.random("JdbcTwoInstancesTest.purgeExpired");
    JdbcTokenStore.builder().dataSource(first).createSchemaIfMissing(true).build().close();
    List<SessionRecord> expired = insertSessions(random);
    String liveBefore = liveRows();
    assertEquals(EXPIRED + LIVE, count("SELECT count(*) FROM tokenkeeper_session"));

    // Touches are written by the test's threads only, so any failure of theirs fails the test.
    List<JdbcTokenStore> stores = List.of(first, second).stream()
        .map(pool -> JdbcTokenStore.builder().dataSource(pool).purgeBatchSize(PURGE_BATCH)
            .touchFlushInterval(Duration.ofMinutes(1)).build())
        .toList();
    AtomicInteger purging = new AtomicInteger(PURGERS);
    long[] seeds = {random.nextLong(), random.nextLong()};
    try {
      List<Integer> done = Concurrently.run(PURGERS + TOUCHERS, thread -> {
        JdbcTokenStore store = stores.get(thread % 2);
        if (thread < PURGERS) {
          try {
            return store.purgeExpired(NOW);
          } finally {
            purging.decrementAndGet();
          }
        }
        return touchWhile(purging, store, expired, new Random(seeds[thread % 2]));
      });
      List<Integer> purged = done.subList(0, PURGERS);
      // A purge skips rows another transaction holds (here a touch flush) rather than wait:
      // those stay for the next purge, which must find exactly them.
      long leftBehind = count("SELECT count(*) FROM tokenkeeper_session WHERE expires_at <= "
          + Rows.nanos(NOW));
      System.out.println("purged per purger (instance = index % 2): " + purged
          + "; left for the next purge: " + leftBehind
          + "; touch flushes per instance: " + done.subList(PURGERS, done.size()));
      assertEquals(EXPIRED, purged.stream().mapToInt(Integer::intValue).sum() + leftBehind,
          "expired sessions purged, per purger " + purged + ", plus " + leftBehind
              + " left for the next purge");
      assertEquals(leftBehind, stores.get(1).purgeExpired(NOW), "the next purge");
    } finally {
      stores.forEach(JdbcTokenStore::close);
    }

    assertEquals(LIVE, count("SELECT count(*) FROM tokenkeeper_session"));
    assertEquals(0, count("SELECT count(*) FROM tokenkeeper_token t WHERE NOT EXISTS"
        + " (SELECT 1 FROM tokenkeeper_session s WHERE s.id = t.session_id)"));
    assertEquals(0, count("SELECT count(*) FROM tokenkeeper_token WHERE successor_until <= "
        + Rows.nanos(NOW)), "sealed successors past their window");
    assertEquals(liveBefore, liveRows(), "live rows changed");
  }

  /**
   * Touches {@value #TOUCH_BATCH} random expired sessions and writes them, over and over, while
   * purgers run; each stays expired (its last use moves, its expiry does not). Returns the
   * number of flushes.
   */
  private static int touchWhile(AtomicInteger purging, JdbcTokenStore store,
      List<SessionRecord> expired, Random random) {
    int flushes = 0;
    while (purging.get() > 0) {
      for (int i = 0; i < TOUCH_BATCH; i++) {
        SessionRecord session = expired.get(random.nextInt(expired.size()));
        store.touch(session.id(), session.expiresAt().minusNanos(1), session.expiresAt());
      }
      store.flush();
      flushes++;
    }
    return flushes;
  }

  /**
   * {@value #EXPIRED} expired and {@value #LIVE} live sessions in random order, some revoked,
   * each with an access token and a rotated refresh token whose sealed successor's window has
   * passed or not; expiry and windows include {@link #NOW} itself (already past). Returns the
   * expired ones.
   */
  private List<SessionRecord> insertSessions(Random random) throws SQLException {
    List<SessionRecord> inserted = new ArrayList<>();
    List<Boolean> expired = new ArrayList<>();
    for (int i = 0; i < EXPIRED + LIVE; i++) {
      expired.add(i < EXPIRED);
    }
    Collections.shuffle(expired, random);
    try (Connection connection = first.getConnection();
        PreparedStatement sessions = connection.prepareStatement(Dialect.POSTGRESQL.insertSession);
        PreparedStatement tokens = connection.prepareStatement(Dialect.POSTGRESQL.insertToken)) {
      connection.setAutoCommit(false);
      for (int i = 0; i < expired.size(); i++) {
        Instant expiresAt = expired.get(i)
            ? NOW.minusNanos(random.nextInt(10) == 0 ? 0 : 1 + random.nextLong(WEEK.toNanos()))
            : NOW.plusNanos(1 + random.nextLong(WEEK.toNanos()));
        SessionRecord session = session(random, expiresAt, random.nextInt(5) == 0);
        if (expired.get(i)) {
          inserted.add(session);
        }
        Rows.bindSession(sessions, session);
        sessions.addBatch();
        Instant window = NOW.plusSeconds(random.nextInt(21) - 10);
        for (TokenRecord token : List.of(
            TokenRecord.expiring(hash(random), session.id(), NOW.minusSeconds(60)),
            new TokenRecord(hash(random), session.id(), null, window.minusSeconds(10),
                SealedSuccessor.of(bytes(random, 64), window)))) {
          Rows.bindToken(tokens, token);
          tokens.addBatch();
        }
        if (i % 1_000 == 999 || i == expired.size() - 1) {
          sessions.executeBatch();
          tokens.executeBatch();
        }
      }
      connection.commit();
    }
    return inserted;
  }

  /**
   * Every row of the live sessions and their tokens, as text, with sealed successors whose
   * window has passed shown as cleared: what the purge must leave exactly as it is.
   */
  private String liveRows() throws SQLException {
    long now = Rows.nanos(NOW);
    return rows("SELECT s::text FROM tokenkeeper_session s WHERE s.expires_at > " + now
        + " ORDER BY s.id")
        + rows("SELECT (t.hash, t.session_id, t.expires_at, t.rotated_at,"
        + " CASE WHEN t.successor_until > " + now + " THEN t.successor END,"
        + " CASE WHEN t.successor_until > " + now + " THEN t.successor_until END)::text"
        + " FROM tokenkeeper_token t JOIN tokenkeeper_session s ON s.id = t.session_id"
        + " WHERE s.expires_at > " + now + " ORDER BY t.hash");
  }

  private static SessionRecord session(Random random, Instant expiresAt, boolean revoked) {
    Instant created = NOW.minus(WEEK).minusSeconds(1);
    Session session = new Session(
        SessionId.parse(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(random, 16))),
        "user" + random.nextInt(500) + "@example.com", "Firefox on Linux", created, created,
        expiresAt);
    SessionRecord record = SessionRecord.of(session, null, hash(random));
    return revoked ? record.revokedAt(created.plusSeconds(1)) : record;
  }

  private static TokenHash hash(Random random) {
    return TokenHash.of(TokenHash.SHA256, bytes(random, TokenHash.SHA256_LENGTH));
  }

  private static byte[] bytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  private static void execute(String sql) throws SQLException {
    try (Connection connection = server.connect();
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }

  private long count(String sql) throws SQLException {
    return Long.parseLong(rows(sql).strip());
  }

  private String rows(String sql) throws SQLException {
    StringBuilder text = new StringBuilder();
    try (Connection connection = server.connect();
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      while (row.next()) {
        text.append(row.getString(1)).append('\n');
      }
    }
    assertTrue(text.length() > 0, "no rows: " + sql);
    return text.toString();
  }
}
