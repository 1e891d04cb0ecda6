package dev.tokenkeeper.store.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.TokenService;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Attack: the application's pool lends connections with auto-commit off (HikariCP
 * {@code autoCommit=false}, a common JPA/Spring setting; the README only asks for READ
 * COMMITTED). {@code create}, {@code rotate} and touches commit explicitly, but
 * {@code revokeSession}, {@code revokeAll} and {@code purgeExpired} run on the connection as
 * lent and never commit: the pool rolls the logout back when the connection returns, after
 * {@code TokenService.revoke} has already returned {@code true}.
 *
 * <p>BROKEN PROMISE 1 (an acknowledged logout is final) and 3 (reuse after the grace window
 * kills the session): every test below fails against the current store.
 */
class JdbcAutoCommitAttackTest {

  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");

  private static PostgresServer server;
  private static TestPool pool;

  private final MutableClock clock = MutableClock.startingAt2026();
  private JdbcTokenStore store;
  private TokenService tokens;

  @BeforeAll
  static void startServer() throws Exception {
    server = PostgresServer.start();
    pool = new TestPool(server.url("connectTimeout=2&socketTimeout=10"));
    JdbcTokenStore.builder().dataSource(pool).createSchemaIfMissing(true).build().close();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (pool != null) {
      pool.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void openStore() throws Exception {
    try (Connection connection = pool.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("TRUNCATE tokenkeeper_token, tokenkeeper_session");
    }
    DataSource autoCommitOff = AttackPools.autoCommitOff(pool);
    store = JdbcTokenStore.builder().dataSource(autoCommitOff).clock(clock).build();
    tokens = TokenService.builder().store(store).clock(clock)
        .refreshGrace(Duration.ofSeconds(10)).build();
  }

  // BROKEN PROMISE 1: revoke() returns true, yet the session is live again at once.
  @Test
  void revoke_acknowledged_onAnAutoCommitOffPool_isFinal() {
    IssuedToken issued = tokens.issue("alice", "laptop");
    assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());

    assertTrue(tokens.revoke(issued.plaintext()), "logout acknowledged");

    assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED),
        tokens.authenticate(issued.plaintext()), "acknowledged logout was rolled back");
  }

  // BROKEN PROMISE 1: revokeAll() counts the sessions it revoked, then they all still work.
  @Test
  void revokeAll_acknowledged_onAnAutoCommitOffPool_isFinal() {
    IssuedToken laptop = tokens.issue("alice", "laptop");
    IssuedPair phone = tokens.issuePair("alice", "phone", CLIENT);

    assertEquals(2, tokens.revokeAll("alice"), "logout everywhere acknowledged");

    assertFalse(tokens.authenticate(laptop.plaintext()).isAuthenticated(),
        "acknowledged logout-everywhere was rolled back (single token)");
    assertFalse(tokens.refresh(phone.refreshPlaintext(), CLIENT).isRefreshed(),
        "acknowledged logout-everywhere was rolled back (refresh token)");
  }

  // BROKEN PROMISE 3: REUSED is reported, but the session it claims to have killed lives on,
  // so a thief holding the newest refresh token keeps the session.
  @Test
  void refreshReuse_afterGrace_killsTheSession_onAnAutoCommitOffPool() {
    IssuedPair first = tokens.issuePair("alice", "phone", CLIENT);
    RefreshResult.Refreshed second =
        (RefreshResult.Refreshed) tokens.refresh(first.refreshPlaintext(), CLIENT);
    clock.advance(Duration.ofSeconds(11));

    assertEquals(new RefreshResult.Rejected(AuthResult.Reason.REUSED),
        tokens.refresh(first.refreshPlaintext(), CLIENT));

    assertFalse(tokens.authenticate(second.pair().access().plaintext()).isAuthenticated(),
        "reuse detection reported REUSED but the session's access token still works");
    assertFalse(tokens.refresh(second.pair().refreshPlaintext(), CLIENT).isRefreshed(),
        "reuse detection reported REUSED but the session's refresh token still works");
  }
}
