package dev.tokenkeeper.store.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.IssuedToken;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Attack: crash the database ({@code pg_ctl stop -m immediate}) the instant an operation is
 * acknowledged, restart it, and check every acknowledged effect on the old store instance and on
 * a new one (its own pool) on the same database. Covers what {@code JdbcCrashTest} does not:
 * revoke by session id, logout everywhere, rotations and the grace window and reuse detection
 * after the restart, and chains of refreshes and logouts under load.
 *
 * <p>Promises 1, 2 and 3 HOLD here (with the default auto-commit pool and
 * {@code synchronous_commit = on}).
 */
class JdbcAckThenCrashAttackTest {

  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");
  private static final String URL = "connectTimeout=2&socketTimeout=5";

  @Test
  void everyKindOfAcknowledgement_survivesACrashRightAfterIt_onBothInstances() throws Exception {
    try (PostgresServer server = PostgresServer.start();
        TestPool pool = new TestPool(server.url(URL))) {
      MutableClock clock = MutableClock.startingAt2026();
      JdbcTokenStore store =
          JdbcTokenStore.builder().dataSource(pool).createSchemaIfMissing(true).build();
      TokenService tokens = service(store, clock);

      IssuedToken loggedOut = tokens.issue("alice", "laptop");
      IssuedToken removedDevice = tokens.issue("alice", "tablet");
      IssuedToken kept = tokens.issue("alice", "desktop");
      IssuedToken bobLaptop = tokens.issue("bob", "laptop");
      IssuedPair bobPhone = tokens.issuePair("bob", "phone", CLIENT);
      IssuedPair first = tokens.issuePair("carol", "phone", CLIENT);
      IssuedPair second = refreshed(tokens.refresh(first.refreshPlaintext(), CLIENT));
      assertTrue(tokens.authenticate(kept.plaintext()).isAuthenticated()); // a buffered touch

      assertTrue(tokens.revoke(loggedOut.plaintext()));
      assertTrue(tokens.revokeSession("alice", removedDevice.session().id()));
      assertEquals(2, tokens.revokeAll("bob"));
      // Crash at once: nothing after the acknowledgements reaches the database.
      server.crash();
      server.startServer();
      JdbcCrashTest.awaitServing(() -> tokens.sessions("alice"));

      try (TestPool otherPool = new TestPool(server.url(URL));
          JdbcTokenStore other = JdbcTokenStore.builder().dataSource(otherPool).build()) {
        for (TokenService on : List.of(tokens, service(other, clock))) {
          assertRevoked(on, loggedOut.plaintext());
          assertRevoked(on, removedDevice.plaintext());
          assertRevoked(on, bobLaptop.plaintext());
          assertRevoked(on, bobPhone.access().plaintext());
          assertEquals(new RefreshResult.Rejected(AuthResult.Reason.REVOKED),
              on.refresh(bobPhone.refreshPlaintext(), CLIENT));
          assertTrue(on.authenticate(kept.plaintext()).isAuthenticated(), "issue lost");
          assertTrue(on.authenticate(second.access().plaintext()).isAuthenticated(),
              "rotation lost");
          // Within the grace window the rotated token still gives the very same pair.
          IssuedPair retried = refreshed(on.refresh(first.refreshPlaintext(), CLIENT));
          assertEquals(second.refreshPlaintext(), retried.refreshPlaintext(),
              "a retry after the crash forked the chain");
        }
        // Past the grace window, the rotated token is reuse: the session dies everywhere.
        clock.advance(Duration.ofSeconds(11));
        assertEquals(new RefreshResult.Rejected(AuthResult.Reason.REUSED),
            service(other, clock).refresh(first.refreshPlaintext(), CLIENT));
        server.crash();
        server.startServer();
        JdbcCrashTest.awaitServing(() -> tokens.sessions("carol"));
        assertRevoked(tokens, second.access().plaintext());
        assertEquals(new RefreshResult.Rejected(AuthResult.Reason.REVOKED),
            tokens.refresh(second.refreshPlaintext(), CLIENT));
      }
      store.close();
    }
  }

  /** One subject's chain as a worker saw it acknowledged. */
  private record Chain(String subject, List<IssuedPair> pairs, boolean loggedOut) {}

  /**
   * Four threads run login, refresh, maybe a logout (by token or everywhere), over and over; the
   * server dies mid-way. After the restart, for every chain whose every step was acknowledged:
   * logged out means every token of it is refused on both instances, otherwise its newest pair
   * works and its newest refresh token refreshes once more.
   */
  @Test
  void chainsOfRefreshesAndLogouts_crashUnderLoad_everyAcknowledgedStepHolds() throws Exception {
    try (PostgresServer server = PostgresServer.start();
        TestPool pool = new TestPool(server.url(URL))) {
      MutableClock clock = MutableClock.startingAt2026();
      JdbcTokenStore store =
          JdbcTokenStore.builder().dataSource(pool).createSchemaIfMissing(true).build();
      TokenService tokens = service(store, clock);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger acknowledged = new AtomicInteger();
      AtomicInteger metCrash = new AtomicInteger();
      int threads = 4;

      Thread crasher = new Thread(() -> {
        try {
          awaitAtLeast(acknowledged, 200);
          server.crash();
          awaitAtLeast(metCrash, threads);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        } finally {
          stop.set(true);
        }
      }, "crasher");
      crasher.start();
      List<List<Chain>> all = Concurrently.run(threads, t -> {
        List<Chain> chains = new ArrayList<>();
        Random random = new Random(77 + t);
        boolean met = false;
        for (int i = 0; !stop.get(); i++) {
          String subject = "u" + t + "-" + i;
          List<IssuedPair> pairs = new ArrayList<>();
          boolean loggedOut = false;
          try {
            pairs.add(tokens.issuePair(subject, "d", CLIENT));
            acknowledged.incrementAndGet();
            pairs.add(refreshed(tokens.refresh(pairs.get(0).refreshPlaintext(), CLIENT)));
            acknowledged.incrementAndGet();
            int logout = random.nextInt(3);
            if (logout == 1) {
              assertTrue(tokens.revoke(pairs.get(1).access().plaintext()));
              loggedOut = true;
            } else if (logout == 2) {
              assertEquals(1, tokens.revokeAll(subject));
              loggedOut = true;
            }
            acknowledged.incrementAndGet();
            chains.add(new Chain(subject, pairs, loggedOut));
          } catch (StoreUnavailableException e) {
            if (!met) {
              met = true;
              metCrash.incrementAndGet();
            }
            // Some step of this chain is unknown: it is not checked.
          }
        }
        return chains;
      });
      crasher.join(120_000);

      server.startServer();
      JdbcCrashTest.awaitServing(() -> tokens.sessions("u0-0"));
      int live = 0;
      int dead = 0;
      try (TestPool otherPool = new TestPool(server.url(URL));
          JdbcTokenStore other = JdbcTokenStore.builder().dataSource(otherPool).build()) {
        TokenService elsewhere = service(other, clock);
        for (List<Chain> chains : all) {
          for (Chain chain : chains) {
            IssuedPair newest = chain.pairs().get(chain.pairs().size() - 1);
            if (chain.loggedOut()) {
              for (TokenService on : List.of(tokens, elsewhere)) {
                for (IssuedPair pair : chain.pairs()) {
                  assertRevoked(on, pair.access().plaintext());
                  assertFalse(on.refresh(pair.refreshPlaintext(), CLIENT).isRefreshed(),
                      "acknowledged logout undone by the crash: " + chain.subject());
                }
              }
              dead++;
            } else {
              assertTrue(elsewhere.authenticate(newest.access().plaintext()).isAuthenticated(),
                  "acknowledged refresh lost: " + chain.subject());
              assertTrue(tokens.refresh(newest.refreshPlaintext(), CLIENT).isRefreshed(),
                  "acknowledged refresh lost: " + chain.subject());
              live++;
            }
          }
        }
      }
      assertTrue(live > 0 && dead > 0, live + " live chains, " + dead + " logged out");
      store.close();
    }
  }

  private static TokenService service(JdbcTokenStore store, MutableClock clock) {
    return TokenService.builder().store(store).clock(clock)
        .refreshGrace(Duration.ofSeconds(10)).build();
  }

  private static IssuedPair refreshed(RefreshResult result) {
    return assertInstanceOf(RefreshResult.Refreshed.class, result).pair();
  }

  private static void assertRevoked(TokenService tokens, String token) {
    assertEquals(new AuthResult.Rejected(AuthResult.Reason.REVOKED), tokens.authenticate(token),
        "an acknowledged logout was undone");
  }

  private static void awaitAtLeast(AtomicInteger counter, int target) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (counter.get() < target) {
      if (System.nanoTime() > deadline) {
        fail("counter stuck at " + counter.get() + " of " + target);
      }
      Thread.sleep(5);
    }
  }
}
