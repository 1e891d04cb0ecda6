package dev.tokenkeeper.store.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Attacks on rotation and logout races, with two store instances on one database (the one under
 * attack has a near cache and a fault-injecting pool): a rotation failing at each of its
 * statements or after its commit, refresh storms across instances, a stolen refresh token
 * replayed after the grace window while its owner refreshes, grace-window retries against a
 * logout, and touches racing a logout.
 *
 * <p>Promises 1 and 3 HOLD here.
 */
class JdbcRotationAttackTest {

  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");
  private static final Duration GRACE = Duration.ofSeconds(10);

  private static PostgresServer server;
  private static TestPool pool;
  private static TestPool otherPool;

  private final AtomicReference<AttackPools.Hook> hook = new AtomicReference<>();
  private final MutableClock clock = MutableClock.startingAt2026();
  private JdbcTokenStore store;
  private JdbcTokenStore other;
  private TokenService here;
  private TokenService elsewhere;

  @BeforeAll
  static void startServer() throws Exception {
    server = PostgresServer.start();
    pool = new TestPool(server.url("connectTimeout=2&socketTimeout=10"));
    otherPool = new TestPool(server.url("connectTimeout=2&socketTimeout=10"));
    JdbcTokenStore.builder().dataSource(pool).createSchemaIfMissing(true).build().close();
  }

  @AfterAll
  static void stopServer() throws Exception {
    for (AutoCloseable closeable : new AutoCloseable[] {pool, otherPool, server}) {
      if (closeable != null) {
        closeable.close();
      }
    }
  }

  @BeforeEach
  void open() throws Exception {
    try (Connection connection = pool.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("TRUNCATE tokenkeeper_token, tokenkeeper_session");
    }
    store = JdbcTokenStore.builder().dataSource(AttackPools.faulty(pool, hook))
        .nearCacheTtl(Duration.ofSeconds(5)).clock(clock).build();
    other = JdbcTokenStore.builder().dataSource(otherPool).clock(clock).build();
    here = TokenService.builder().store(store).clock(clock).refreshGrace(GRACE).build();
    elsewhere = TokenService.builder().store(other).clock(clock).refreshGrace(GRACE).build();
  }

  @AfterEach
  void close() {
    hook.set(null);
    store.close();
    other.close();
  }

  private static AttackPools.Hook failing(String call, String sql, boolean after) {
    return (c, s, a) -> {
      if (a == after && c.equals(call) && (sql == null || sql.equals(s))) {
        throw new SQLException("injected fault", "08006");
      }
    };
  }

  @Test
  void rotationFailingAtEachStep_appliesNothing_andTheChainGoesOn() throws Exception {
    Dialect sql = Dialect.POSTGRESQL;
    List<AttackPools.Hook> faults = List.of(
        failing("executeUpdate", sql.rotateSession, false),
        failing("executeUpdate", sql.rotateSession, true),
        failing("executeUpdate", sql.rotateToken, false),
        failing("executeUpdate", sql.rotateToken, true),
        failing("executeBatch", sql.insertToken, false),
        failing("executeBatch", sql.insertToken, true),
        failing("executeUpdate", sql.rotateDropsSuccessors, false),
        failing("executeUpdate", sql.rotateDropsSuccessors, true),
        failing("commit", null, false));
    for (AttackPools.Hook fault : faults) {
      IssuedPair pair = here.issuePair("alice", null, CLIENT);
      hook.set(fault);
      assertThrows(StoreUnavailableException.class,
          () -> here.refresh(pair.refreshPlaintext(), CLIENT));
      hook.set(null);
      assertEquals(TokenHash.sha256(pair.refreshPlaintext()), currentRefresh(pair),
          "a failed rotation changed the session");
      assertEquals(2, tokensOf(pair.session().id()), "a failed rotation left tokens behind");
      IssuedPair next = refreshed(elsewhere.refresh(pair.refreshPlaintext(), CLIENT));
      assertTrue(here.authenticate(next.access().plaintext()).isAuthenticated());
    }
  }

  @Test
  void rotationFailingAfterItsCommit_retriesWithinGraceGetTheOnePair_thenReuseKillsIt()
      throws Exception {
    IssuedPair pair = here.issuePair("alice", null, CLIENT);
    hook.set(failing("commit", null, true));
    assertThrows(StoreUnavailableException.class,
        () -> here.refresh(pair.refreshPlaintext(), CLIENT));
    hook.set(null);

    IssuedPair retried = refreshed(here.refresh(pair.refreshPlaintext(), CLIENT));
    assertEquals(TokenHash.sha256(retried.refreshPlaintext()), currentRefresh(pair),
        "the retry forked the chain the unacknowledged rotation started");
    assertEquals(retried.refreshPlaintext(),
        refreshed(elsewhere.refresh(pair.refreshPlaintext(), CLIENT)).refreshPlaintext());
    assertEquals(4, tokensOf(pair.session().id()));

    clock.advance(GRACE.plusSeconds(1));
    assertEquals(new RefreshResult.Rejected(AuthResult.Reason.REUSED),
        here.refresh(pair.refreshPlaintext(), CLIENT));
    assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
        here.authenticate(retried.access().plaintext()));
    assertEquals(new RefreshResult.Rejected(AuthResult.Reason.REVOKED),
        elsewhere.refresh(retried.refreshPlaintext(), CLIENT));
  }

  @Test
  void refreshStorm_acrossTwoInstances_yieldsOneChain() throws Exception {
    for (int trial = 0; trial < 25; trial++) {
      IssuedPair pair = here.issuePair("storm", null, CLIENT);
      List<RefreshResult> results = Concurrently.run(6, t ->
          (t % 2 == 0 ? here : elsewhere).refresh(pair.refreshPlaintext(), CLIENT));
      String first = refreshed(results.get(0)).refreshPlaintext();
      for (RefreshResult result : results) {
        assertEquals(first, refreshed(result).refreshPlaintext(), "two chains from one token");
      }
      assertEquals(TokenHash.sha256(first), currentRefresh(pair));
      assertEquals(4, tokensOf(pair.session().id()), "more than one pair was stored");
    }
  }

  @Test
  void stolenTokenReplayedAfterGrace_racingTheOwnersRefresh_killsEverything() throws Exception {
    for (int trial = 0; trial < 25; trial++) {
      IssuedPair stolen = here.issuePair("victim" + trial, null, CLIENT);
      IssuedPair owners = refreshed(here.refresh(stolen.refreshPlaintext(), CLIENT));
      clock.advance(GRACE.plusSeconds(1));
      List<RefreshResult> results = Concurrently.run(2, t -> t == 0
          ? elsewhere.refresh(stolen.refreshPlaintext(), CLIENT)
          : here.refresh(owners.refreshPlaintext(), CLIENT));
      assertEquals(new RefreshResult.Rejected(AuthResult.Reason.REUSED), results.get(0));
      assertFalse(elsewhere.authenticate(owners.access().plaintext()).isAuthenticated());
      assertFalse(here.refresh(owners.refreshPlaintext(), CLIENT).isRefreshed());
      if (results.get(1) instanceof RefreshResult.Refreshed raced) {
        assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
            elsewhere.authenticate(raced.pair().access().plaintext()));
        assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
            here.authenticate(raced.pair().access().plaintext()));
        assertFalse(here.refresh(raced.pair().refreshPlaintext(), CLIENT).isRefreshed(),
            "a pair minted while reuse was detected outlived the session");
      }
    }
  }

  @Test
  void graceRetries_racingALogout_neverOutliveIt() throws Exception {
    for (int trial = 0; trial < 25; trial++) {
      IssuedPair first = here.issuePair("retry" + trial, null, CLIENT);
      IssuedPair second = refreshed(here.refresh(first.refreshPlaintext(), CLIENT));
      AtomicBoolean loggedOut = new AtomicBoolean();
      List<Object> results = Concurrently.run(3, t -> {
        if (t == 2) {
          boolean revoked = elsewhere.revoke(second.access().plaintext());
          loggedOut.set(true);
          return revoked;
        }
        boolean after = loggedOut.get();
        RefreshResult result = here.refresh(first.refreshPlaintext(), CLIENT);
        if (after) {
          assertEquals(new RefreshResult.Rejected(AuthResult.Reason.REVOKED), result,
              "a grace retry after an acknowledged logout got a pair");
        }
        return result;
      });
      assertEquals(true, results.get(2));
      assertEquals(new RefreshResult.Rejected(AuthResult.Reason.REVOKED),
          here.refresh(first.refreshPlaintext(), CLIENT));
      assertEquals(new RefreshResult.Rejected(AuthResult.Reason.REVOKED),
          here.refresh(second.refreshPlaintext(), CLIENT));
      assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
          here.authenticate(second.access().plaintext()));
    }
  }

  /** A clock one second later at every read: every authenticate writes a touch. */
  private static final class Ticking extends Clock {
    private final AtomicLong seconds = new AtomicLong();

    @Override
    public Instant instant() {
      return Instant.parse("2026-01-01T00:00:00Z").plusSeconds(seconds.incrementAndGet());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  @Test
  void touchesRacingALogout_neverReviveTheSession() throws Exception {
    Ticking ticking = new Ticking();
    try (JdbcTokenStore touchy = JdbcTokenStore.builder().dataSource(pool).clock(ticking)
        .touchFlushInterval(Duration.ofMillis(1)).build()) {
      TokenService tokens = TokenService.builder().store(touchy).clock(ticking)
          .idleTimeout(Duration.ofHours(1)).build();
      for (int trial = 0; trial < 20; trial++) {
        IssuedToken issued = tokens.issue("toucher" + trial, null);
        int delay = trial % 5;
        AtomicBoolean loggedOut = new AtomicBoolean();
        Concurrently.run(3, t -> {
          if (t == 2) {
            Thread.sleep(delay);
            assertTrue(tokens.revoke(issued.plaintext()));
            loggedOut.set(true);
            return null;
          }
          for (int i = 0; i < 40; i++) {
            boolean after = loggedOut.get();
            boolean ok = tokens.authenticate(issued.plaintext()).isAuthenticated();
            assertFalse(after && ok, "authenticated after an acknowledged logout");
          }
          return null;
        });
        touchy.flush();
        assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
            elsewhere.authenticate(issued.plaintext()));
        assertTrue(other.findSession(issued.session().id()).orElseThrow().isRevoked());
      }
    }
  }

  private static IssuedPair refreshed(RefreshResult result) {
    return assertInstanceOf(RefreshResult.Refreshed.class, result).pair();
  }

  private TokenHash currentRefresh(IssuedPair pair) {
    return other.findSession(pair.session().id()).orElseThrow().refreshHash();
  }

  private static int tokensOf(SessionId id) throws SQLException {
    try (Connection connection = pool.getConnection();
        PreparedStatement query = connection.prepareStatement(
            "SELECT count(*) FROM tokenkeeper_token WHERE session_id = ?")) {
      query.setString(1, id.value());
      try (ResultSet row = query.executeQuery()) {
        row.next();
        return row.getInt(1);
      }
    }
  }
}
