package dev.tokenkeeper.core;

import static dev.tokenkeeper.core.TokenServiceContract.CLIENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.FaultInjector.Step;
import dev.tokenkeeper.core.FaultInjector.When;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The logout race suite's promises across two instances of a store on one backend, as two
 * application processes share one Redis or one database, each with its own client, pool and
 * lazy writes: a revoke or a logout everywhere acknowledged on instance A is final when read on
 * instance B, and stays so once B writes the uses it held back; a refresh on A racing a logout on
 * B ends logged out; a save on A racing a logout everywhere on B never leaves live a session
 * stored before that logout began (one saved after it began may live: a revoke-all covers
 * "every session stored when the call begins"). Each race runs its interleavings one by one,
 * forced by a {@link ParkingStore} at a named step, never by sleeping; the harness's validation
 * then checks what either instance acknowledged.
 *
 * <p>A store kind one process owns alone is exempt (the file store: its directory lock admits
 * one), and so is a configuration with a near cache, which by design serves what another
 * instance revoked for up to its TTL (that bound is the cache's own tests'). Published in
 * token-core's test-jar; the Redis and JDBC stores' contract tests implement it.
 */
public interface TwoInstancesContract extends StoreHarness {

  /**
   * A second instance on the backend of {@code first} (a store this harness opened), opened as
   * another application process would: its own client, pool and caches, the same server and
   * data. {@code null} where this configuration does not run two instances (the tests skip).
   */
  TokenStore secondInstance(TokenStore first);

  /** Who parks in a forced interleaving, where, and what the other instance does meanwhile. */
  enum Side { A, B }

  /** A forced interleaving: {@code side}'s call parks at {@code step}, {@code when}. */
  record Park(Side side, Step step, When when) {}

  /** A logout made on instance B. */
  enum Logout { BY_TOKEN, EVERYWHERE }

  @ContractTest
  default void revoke_acknowledgedOnA_isFinalWhenReadOnB_andAfterBWritesWhatItHeld() {
    AcknowledgedStore a = open();
    TokenStore b = second(a);
    TokenService onA = twoInstanceService(a);
    TokenService onB = twoInstanceService(b);
    IssuedPair pair = onA.issuePair("alice", null, CLIENT);
    usedOnB(onB, pair);
    assertTrue(onA.revoke(pair.access().plaintext()));
    assertLoggedOut(onB, pair, "read on B");
    b.close();
    assertLoggedOut(onA, pair, "read on A once B closed, writing the use it held");
  }

  @ContractTest
  default void revokeAll_acknowledgedOnA_isFinalWhenReadOnB_andAfterBWritesWhatItHeld() {
    AcknowledgedStore a = open();
    TokenStore b = second(a);
    TokenService onA = twoInstanceService(a);
    TokenService onB = twoInstanceService(b);
    IssuedPair fromA = onA.issuePair("alice", "laptop", CLIENT);
    IssuedPair fromB = onB.issuePair("alice", "phone", CLIENT);
    usedOnB(onB, fromA, fromB);
    assertEquals(2, onA.revokeAll("alice"));
    assertLoggedOut(onB, fromA, "read on B");
    assertLoggedOut(onB, fromB, "read on B");
    assertEquals(List.of(), onB.sessions("alice"));
    b.close();
    assertLoggedOut(onA, fromA, "read on A once B closed, writing the uses it held");
    assertLoggedOut(onA, fromB, "read on A once B closed, writing the uses it held");
  }

  @ContractTest
  default void refreshOnA_raceLogoutOnB_endsLoggedOut() throws Exception {
    AcknowledgedStore a = open();
    TokenStore b = second(a);
    // A has read the session and minted; or A's rotation landed and has not returned yet; or B
    // has found the session by the token (a logout everywhere: B has not begun it yet).
    List<Park> parks = List.of(new Park(Side.A, Step.ROTATE, When.BEFORE),
        new Park(Side.A, Step.ROTATE, When.AFTER), new Park(Side.B, Step.FIND, When.AFTER),
        new Park(Side.B, Step.REVOKE_ALL, When.BEFORE));
    for (Park park : parks) {
      for (Logout how : Logout.values()) {
        if (park.side() == Side.B && (park.step() == Step.FIND) != (how == Logout.BY_TOKEN)) {
          continue; // B's logout never makes that call
        }
        ParkingStore onA = new ParkingStore(a);
        ParkingStore onB = new ParkingStore(b);
        TokenService tokensA = twoInstanceService(onA);
        TokenService tokensB = twoInstanceService(onB);
        IssuedPair pair = tokensA.issuePair("alice", null, CLIENT);
        Object[] results = interleave(park, onA, onB,
            () -> tokensA.refresh(pair.refreshPlaintext(), CLIENT),
            () -> how == Logout.BY_TOKEN ? tokensB.revoke(pair.access().plaintext())
                : tokensB.revokeAll("alice"));
        String where = park + ", logout " + how + ": refresh " + results[0];
        for (TokenService on : List.of(tokensA, tokensB)) {
          assertLoggedOut(on, pair, where);
          if (results[0] instanceof RefreshResult.Refreshed refreshed) {
            assertLoggedOut(on, refreshed.pair(), where);
          }
        }
      }
    }
  }

  @ContractTest
  default void saveOnA_raceLogoutEverywhereOnB_leavesNoSessionStoredBeforeItLive()
      throws Exception {
    AcknowledgedStore a = open();
    TokenStore b = second(a);
    // A's save landed and has not returned when B's logout runs whole; B's logout is called
    // first but begins only after A's save; B's logout landed and has not returned when A saves.
    List<Park> parks = List.of(new Park(Side.A, Step.CREATE, When.AFTER),
        new Park(Side.B, Step.REVOKE_ALL, When.BEFORE),
        new Park(Side.B, Step.REVOKE_ALL, When.AFTER));
    for (Park park : parks) {
      ParkingStore onA = new ParkingStore(a);
      ParkingStore onB = new ParkingStore(b);
      TokenService tokensA = twoInstanceService(onA);
      TokenService tokensB = twoInstanceService(onB);
      Object[] results = interleave(park, onA, onB,
          () -> tokensA.issuePair("alice", null, CLIENT), () -> tokensB.revokeAll("alice"));
      IssuedPair saved = (IssuedPair) results[0];
      String where = park.toString();
      if (park.when() == When.AFTER && park.side() == Side.B) {
        // Saved after the logout began: it may live, but both instances must say the same.
        assertEquals(tokensA.authenticate(saved.access().plaintext(), CLIENT).isAuthenticated(),
            tokensB.authenticate(saved.access().plaintext(), CLIENT).isAuthenticated(), where);
        tokensA.revokeAll("alice");
        continue;
      }
      assertLoggedOut(tokensA, saved, where);
      assertLoggedOut(tokensB, saved, where);
    }
  }

  /**
   * A minute on, B serves a request with each pair (recording a use it may write later) and at
   * once another (a read only, within the service's touch granularity: a cache would hold the
   * session now).
   */
  private void usedOnB(TokenService onB, IssuedPair... pairs) {
    clock().advance(Duration.ofMinutes(1));
    for (int request = 0; request < 2; request++) {
      for (IssuedPair pair : pairs) {
        assertTrue(onB.authenticate(pair.access().plaintext(), CLIENT).isAuthenticated());
      }
    }
  }

  private TokenStore second(AcknowledgedStore first) {
    TokenStore other = secondInstance(first.inner());
    Assumptions.assumeTrue(other != null, "this configuration does not run two instances");
    return first.instance(other);
  }

  private TokenService twoInstanceService(TokenStore store) {
    return TokenService.builder().store(store).clock(clock())
        .refreshGrace(Duration.ofSeconds(10)).build();
  }

  /**
   * Starts A's call ({@code onACall}) or B's, whichever {@code park} names, on a thread of its
   * own, waits until it is parked, runs the other call here to its end, releases the parked one
   * and waits for it (bounded). Returns A's result and B's, in that order.
   */
  private static Object[] interleave(Park park, ParkingStore onA, ParkingStore onB,
      Callable<Object> onACall, Callable<Object> onBCall) throws Exception {
    boolean aParks = park.side() == Side.A;
    ParkingStore parker = aParks ? onA : onB;
    parker.parkNext(park.step(), park.when());
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      Future<Object> parked = thread.submit(aParks ? onACall : onBCall);
      parker.awaitParked();
      Object meanwhile;
      try {
        meanwhile = (aParks ? onBCall : onACall).call();
      } finally {
        parker.release();
      }
      Object first = parked.get(60, TimeUnit.SECONDS);
      return aParks ? new Object[] {first, meanwhile} : new Object[] {meanwhile, first};
    } finally {
      thread.shutdownNow();
    }
  }

  private static void assertLoggedOut(TokenService tokens, IssuedPair pair, String where) {
    assertFalse(tokens.authenticate(pair.access().plaintext(), CLIENT).isAuthenticated(),
        "access token works after the logout, " + where);
    assertFalse(tokens.refresh(pair.refreshPlaintext(), CLIENT).isRefreshed(),
        "refresh token renews after the logout, " + where);
  }
}
