package dev.tokenkeeper.store.jdbc;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenService;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The database goes away, by shutting down or by hanging, and comes back: every call fails with
 * {@link StoreUnavailableException} (so the filter answers 503) within the configured timeouts,
 * never passes and never hangs, and the store serves again by itself once the database does.
 */
class JdbcOutageTest {

  /** Far above the 1 s statement, 2 s connect and 3 s socket timeouts: only a hang reaches it. */
  private static final Duration HANG = Duration.ofSeconds(20);
  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");

  private PostgresServer server;
  private TestPool pool;
  private JdbcTokenStore store;
  private TokenService tokens;

  @BeforeEach
  void start() throws Exception {
    server = PostgresServer.start();
    pool = new TestPool(
        server.url("connectTimeout=2&loginTimeout=3&socketTimeout=3&cancelSignalTimeout=1"
            + "&tcpKeepAlive=true"));
    store = JdbcTokenStore.builder().dataSource(pool).createSchemaIfMissing(true)
        .statementTimeout(Duration.ofSeconds(1)).build();
    tokens = TokenService.builder().store(store).build();
  }

  @AfterEach
  void stop() throws Exception {
    if (store != null) {
      try {
        store.close();
      } catch (StoreUnavailableException ignored) {
        // Touches owed to a server that is gone.
      }
    }
    if (pool != null) {
      pool.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void databaseDown_everyCallFailsUnavailable_neverHangs_thenServesAgainWhenItIsBack()
      throws Exception {
    IssuedToken token = tokens.issue("alice", "laptop");
    IssuedPair pair = tokens.issuePair("alice", "phone", CLIENT);
    server.stop();

    assertUnavailable(() -> tokens.authenticate(token.plaintext()));
    assertUnavailable(() -> tokens.issue("alice", "tablet"));
    assertUnavailable(() -> tokens.refresh(pair.refreshPlaintext(), CLIENT));
    assertUnavailable(() -> tokens.revoke(token.plaintext()));
    assertUnavailable(() -> tokens.revokeAll("alice"));

    server.startServer();
    JdbcCrashTest.awaitServing(() -> tokens.sessions("alice"));
    assertTrue(tokens.authenticate(token.plaintext()).isAuthenticated());
    assertTrue(tokens.refresh(pair.refreshPlaintext(), CLIENT).isRefreshed());
    assertTrue(tokens.revoke(token.plaintext()));
  }

  @Test
  void databaseHangs_callsFailUnavailableWithinTheTimeouts_thenServeAgainWhenItResumes()
      throws Exception {
    IssuedToken token = tokens.issue("alice", "laptop");
    server.pause();
    try {
      assertUnavailable(() -> tokens.authenticate(token.plaintext()));
      assertUnavailable(() -> tokens.revoke(token.plaintext()));
    } finally {
      server.resume();
    }
    JdbcCrashTest.awaitServing(() -> tokens.sessions("alice"));
    assertTrue(tokens.authenticate(token.plaintext()).isAuthenticated());
  }

  private static void assertUnavailable(Executable call) {
    assertTimeoutPreemptively(HANG, () -> assertThrows(StoreUnavailableException.class, call));
  }
}
