package dev.tokenkeeper.store.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenService;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingSupplier;

/**
 * Attack: inputs a caller can pass that PostgreSQL's {@code text} cannot hold. A bad input must
 * give a typed answer (an {@link IllegalArgumentException}, or what the in-memory reference
 * store answers), never {@link StoreUnavailableException} (which the filter turns into a 503 and
 * operators read as an outage), and never an answer about another subject.
 */
class JdbcBadInputAttackTest {

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
  void open() throws Exception {
    try (Connection connection = pool.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("TRUNCATE tokenkeeper_token, tokenkeeper_session");
    }
    store = JdbcTokenStore.builder().dataSource(pool).clock(clock).build();
    tokens = TokenService.builder().store(store).clock(clock).build();
  }

  // BROKEN PROMISE 4 (bad inputs give typed exceptions): PostgreSQL refuses the NUL byte
  // (SQLState 22021) and the store reports it as StoreUnavailableException, an outage.
  @Test
  void subjectWithANulByte_logoutEverywhere_isATypedAnswerNotAnOutage() {
    assertEquals(0, new InMemoryTokenStore().revokeAll("a\u0000b", clock.instant()),
        "the reference store's answer");
    assertTypedAnswer(() -> tokens.revokeAll("a\u0000b"));
  }

  // BROKEN PROMISE 4, as above, for the session list.
  @Test
  void subjectWithANulByte_sessions_isATypedAnswerNotAnOutage() {
    assertTypedAnswer(() -> tokens.sessions("a\u0000b"));
  }

  /**
   * Session accepts a subject with an unpaired surrogate (it is not a control character); the
   * driver encodes it as '?', so the store conflates it with another subject.
   *
   * <p>BROKEN PROMISE 4 (bad inputs give typed exceptions) with a cross-subject effect: a logout
   * everywhere of "eve\uD800" ends the sessions of the different subject "eve?", and the session
   * list of "eve?" shows another subject's device. The in-memory store keeps them apart.
   */
  @Test
  void subjectsDifferingByAnUnpairedSurrogate_areNeverConflated() {
    String lone = "eve\uD800";
    IssuedToken other = tokens.issue("eve?", "eve?'s laptop");
    IssuedToken issued;
    try {
      issued = tokens.issue(lone, "laptop");
    } catch (IllegalArgumentException refused) {
      return; // refusing the subject is a typed answer: the promise holds
    }
    List<Session> evesSessions = tokens.sessions("eve?");
    int revoked = tokens.revokeAll(lone);
    assertTrue(tokens.authenticate(other.plaintext()).isAuthenticated(),
        "a logout everywhere of \"eve\\uD800\" ended the different subject eve?'s session ("
            + revoked + " revoked)");
    assertEquals(1, evesSessions.size(), "eve?'s session list shows another subject's session");
    assertFalse(tokens.authenticate(issued.plaintext()).isAuthenticated());
  }

  /** What holds: out-of-range instants, nulls and other subjects' sessions. */
  @Test
  void otherBadInputs_giveTypedExceptions() {
    IssuedToken issued = tokens.issue("alice", "laptop");
    Instant far = Instant.parse("2300-01-01T00:00:00Z");
    assertThrows(IllegalArgumentException.class,
        () -> store.touch(issued.session().id(), clock.instant(), far));
    assertThrows(IllegalArgumentException.class,
        () -> store.revokeSession(issued.session().id(), far));
    assertThrows(IllegalArgumentException.class, () -> store.revokeAll("alice", far));
    assertThrows(IllegalArgumentException.class, () -> store.purgeExpired(far));
    assertThrows(NullPointerException.class, () -> store.find(null));
    assertThrows(NullPointerException.class, () -> tokens.revokeAll(null));
    // Another subject's session id: left alone, as if it did not exist.
    assertFalse(tokens.revokeSession("mallory", issued.session().id()));
    assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());
    // Junk and near-miss tokens never reach the store as anything but a miss.
    for (String junk : List.of("", "tk_", "x".repeat(10_000), issued.plaintext() + "x",
        issued.plaintext().substring(1), "'; DROP TABLE tokenkeeper_session; --",
        "tk_\u0000" + issued.plaintext().substring(3))) {
      AuthResult result = tokens.authenticate(junk);
      assertFalse(result.isAuthenticated());
      assertFalse(tokens.revoke(junk));
    }
    assertTrue(tokens.authenticate(issued.plaintext()).isAuthenticated());
  }

  private static void assertTypedAnswer(ThrowingSupplier<?> call) {
    try {
      call.get();
    } catch (IllegalArgumentException typed) {
      // A typed refusal is fine.
    } catch (StoreUnavailableException outage) {
      throw new AssertionError("a bad input was reported as an outage: " + outage.getMessage(),
          outage);
    } catch (Throwable other) {
      throw new AssertionError("a bad input gave " + other, other);
    }
  }
}
