package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * "An acknowledged logout is final", raced with real threads: every pairing of refresh, refresh,
 * logout of one device and logout everywhere, started together on one session, many times over.
 * After each trial, every token any call handed out is tried: none works once a logout has
 * returned, parallel refreshes of one token all got the same pair, and that one chain lives on.
 *
 * <p>Trials per pairing: {@link #raceTrials()}, from the system property
 * {@code tokenkeeper.raceTrials} (CI runs a few hundred; a long run sets 10000 or more).
 * Published in token-core's test-jar; every store's test implements it.
 */
public interface SessionRaceContract extends StoreHarness {

  Client CLIENT = new Client("203.0.113.7", "Firefox");

  /** How many trials each pairing runs. */
  default int raceTrials() {
    return Integer.getInteger("tokenkeeper.raceTrials", 200);
  }

  private TokenService raceService(TokenStore store) {
    return TokenService.builder().store(store).clock(clock())
        .refreshGrace(Duration.ofSeconds(10)).build();
  }

  @ContractTest
  default void refreshTwice_raceLogout_noPairOutlivesTheLogout() throws Exception {
    race((tokens, pair) -> List.of(
        () -> tokens.refresh(pair.refreshPlaintext(), CLIENT),
        () -> tokens.refresh(pair.refreshPlaintext(), CLIENT),
        () -> tokens.revokeSession("alice", pair.session().id())), true);
  }

  @ContractTest
  default void refreshTwice_raceLogoutEverywhere_noPairOutlivesTheLogout() throws Exception {
    race((tokens, pair) -> List.of(
        () -> tokens.refresh(pair.refreshPlaintext(), CLIENT),
        () -> tokens.refresh(pair.refreshPlaintext(), CLIENT),
        () -> tokens.revokeAll("alice")), true);
  }

  @ContractTest
  default void refresh_raceLogoutByToken_andLogoutEverywhere_nothingSurvives() throws Exception {
    race((tokens, pair) -> List.of(
        () -> tokens.refresh(pair.refreshPlaintext(), CLIENT),
        () -> tokens.revoke(pair.access().plaintext()),
        () -> tokens.revokeAll("alice")), true);
  }

  @ContractTest
  default void refreshThrice_inParallel_allGetOneAndTheSamePair() throws Exception {
    race((tokens, pair) -> List.of(
        () -> tokens.refresh(pair.refreshPlaintext(), CLIENT),
        () -> tokens.refresh(pair.refreshPlaintext(), CLIENT),
        () -> tokens.refresh(pair.refreshPlaintext(), CLIENT)), false);
  }

  /** Builds the racing calls of one trial for a fresh pair. */
  interface Trial {
    List<Callable<Object>> calls(TokenService tokens, IssuedPair pair);
  }

  private void race(Trial trial, boolean endsWithLogout) throws Exception {
    AcknowledgedStore store = open();
    TokenService tokens = raceService(store);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      for (int t = 0; t < raceTrials(); t++) {
        IssuedPair pair = tokens.issuePair("alice", null, CLIENT);
        List<Callable<Object>> calls = trial.calls(tokens, pair);
        List<Object> results = runTogether(pool, calls);
        List<IssuedPair> minted = new ArrayList<>();
        for (Object result : results) {
          if (result instanceof RefreshResult.Refreshed ok) {
            minted.add(ok.pair());
          }
        }
        String where = "trial " + t + " of " + raceTrials() + ": " + results;
        if (endsWithLogout) {
          assertDead(tokens, pair, where);
          for (IssuedPair pairMinted : minted) {
            assertDead(tokens, pairMinted, where);
          }
          assertFalse(tokens.sessions("alice").stream()
              .anyMatch(s -> s.id().equals(pair.session().id())), where);
        } else {
          assertEquals(calls.size(), minted.size(), where);
          for (IssuedPair one : minted) {
            assertEquals(minted.get(0).refreshPlaintext(), one.refreshPlaintext(), where);
            assertEquals(minted.get(0).access().plaintext(), one.access().plaintext(), where);
          }
          assertTrue(tokens.refresh(minted.get(0).refreshPlaintext(), CLIENT).isRefreshed(),
              where);
          tokens.revokeSession("alice", pair.session().id());
        }
        if (t % 64 == 63) {
          // Keep the subject's index small: sessions of earlier trials are over anyway.
          clock().advance(Duration.ofDays(8));
          store.purgeExpired(clock().instant());
        }
      }
    } finally {
      pool.shutdownNow();
      store.close();
    }
  }

  private static void assertDead(TokenService tokens, IssuedPair pair, String where) {
    assertFalse(tokens.authenticate(pair.access().plaintext()).isAuthenticated(),
        "access token outlived the logout, " + where);
    RefreshResult again = tokens.refresh(pair.refreshPlaintext(), CLIENT);
    assertFalse(again.isRefreshed(), "refresh token outlived the logout, " + where);
  }

  private static List<Object> runTogether(ExecutorService pool, List<Callable<Object>> calls)
      throws Exception {
    CountDownLatch ready = new CountDownLatch(calls.size());
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Object>> futures = new ArrayList<>();
    for (Callable<Object> call : calls) {
      futures.add(pool.submit(() -> {
        ready.countDown();
        if (!go.await(60, TimeUnit.SECONDS)) {
          throw new AssertionError("threads were never released");
        }
        return call.call();
      }));
    }
    if (!ready.await(60, TimeUnit.SECONDS)) {
      fail("racing threads did not start");
    }
    go.countDown();
    List<Object> results = new ArrayList<>();
    for (Future<Object> future : futures) {
      try {
        results.add(future.get(60, TimeUnit.SECONDS));
      } catch (ExecutionException e) {
        throw new AssertionError("a racing call threw", e.getCause());
      }
    }
    return results;
  }
}
