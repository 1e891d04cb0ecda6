package dev.tokenkeeper.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenkeeper.core.FaultInjector.Step;
import dev.tokenkeeper.core.FaultInjector.When;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile tests for the session model of {@link TokenService} over {@link InMemoryTokenStore}:
 * races with real threads, interleavings forced by a parking store, clock tricks and bad input.
 * Every test asserts a promise; each one that once broke names the fix in its comment.
 */
class SessionAttackTest {

  private static final Client CLIENT = new Client("203.0.113.7", "Firefox");
  private static final Client OTHER = new Client("198.51.100.9", "curl");
  private static final ExecutorService POOL = Executors.newCachedThreadPool();

  @AfterAll
  static void shutdown() {
    POOL.shutdownNow();
  }

  // ---------------------------------------------------------------- helpers

  /** Runs the tasks on real threads released together; returns their results in order. */
  @SafeVarargs
  private static <T> List<T> race(Callable<T>... tasks) throws Exception {
    CountDownLatch ready = new CountDownLatch(tasks.length);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<T>> futures = new ArrayList<>();
    for (Callable<T> task : tasks) {
      futures.add(POOL.submit(() -> {
        ready.countDown();
        go.await();
        return task.call();
      }));
    }
    ready.await();
    go.countDown();
    List<T> out = new ArrayList<>();
    for (Future<T> f : futures) {
      out.add(f.get(60, TimeUnit.SECONDS));
    }
    return out;
  }

  private static IssuedPair pairOf(RefreshResult r) {
    return assertInstanceOf(RefreshResult.Refreshed.class, r).pair();
  }

  private static AuthResult.Reason reasonOf(RefreshResult r) {
    return assertInstanceOf(RefreshResult.Rejected.class, r).reason();
  }

  private static AuthResult.Reason reasonOf(AuthResult r) {
    return assertInstanceOf(AuthResult.Rejected.class, r).reason();
  }

  /** Whether any token of {@code pair} still opens or renews its session (without rotating it). */
  private static String stillAlive(TokenService tokens, IssuedPair pair, Client client) {
    if (tokens.authenticate(pair.access().plaintext(), client).isAuthenticated()) {
      return "access token authenticates";
    }
    RefreshResult r = tokens.refresh(pair.refreshPlaintext(), client);
    if (r.isRefreshed()) {
      IssuedPair next = pairOf(r);
      if (tokens.authenticate(next.access().plaintext(), client).isAuthenticated()) {
        return "refresh token renews into a working pair";
      }
      return "refresh token renews (pair dead)";
    }
    return null;
  }

  private static TokenService.Builder base(TokenStore store, MutableClock clock) {
    return TokenService.builder().store(store).clock(clock);
  }

  // ================================================================ promise 1: logout is final

  enum Logout { BY_ACCESS_TOKEN, BY_REFRESH_TOKEN, BY_SESSION_ID, EVERYWHERE }

  private static void logout(TokenService tokens, IssuedPair pair, Logout how) {
    switch (how) {
      case BY_ACCESS_TOKEN -> tokens.revoke(pair.access().plaintext());
      case BY_REFRESH_TOKEN -> tokens.revoke(pair.refreshPlaintext());
      case BY_SESSION_ID -> tokens.revokeSession("alice", pair.session().id());
      case EVERYWHERE -> tokens.revokeAll("alice");
    }
  }

  /** Refresh racing each kind of logout, with real threads; after both, nothing may work. */
  private void refreshRacingLogout(Logout how, boolean retryToo) throws Exception {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock).build();
    int failures = 0;
    String first = null;
    for (int trial = 0; trial < 1500; trial++) {
      IssuedPair p0 = tokens.issuePair("alice", "t" + trial, CLIENT);
      IssuedPair p1 = retryToo ? pairOf(tokens.refresh(p0.refreshPlaintext(), CLIENT)) : p0;
      List<Object> results = race(
          () -> tokens.refresh(p0.refreshPlaintext(), CLIENT),   // a retry when retryToo
          () -> tokens.refresh(p1.refreshPlaintext(), CLIENT),
          () -> {
            logout(tokens, p1, how);
            return null;
          });
      List<IssuedPair> all = new ArrayList<>(List.of(p0, p1));
      for (Object r : results) {
        if (r instanceof RefreshResult.Refreshed ok) {
          all.add(ok.pair());
        }
      }
      for (IssuedPair p : all) {
        String alive = stillAlive(tokens, p, CLIENT);
        if (alive != null) {
          failures++;
          if (first == null) {
            first = "trial " + trial + ": " + alive;
          }
        }
      }
    }
    assertEquals(0, failures, first);
  }

  @Test
  void p1_refreshRacingRevokeByAccessToken() throws Exception {
    refreshRacingLogout(Logout.BY_ACCESS_TOKEN, false);
  }

  @Test
  void p1_refreshAndGraceRetryRacingRevokeByRefreshToken() throws Exception {
    refreshRacingLogout(Logout.BY_REFRESH_TOKEN, true);
  }

  @Test
  void p1_refreshAndGraceRetryRacingRevokeSession() throws Exception {
    refreshRacingLogout(Logout.BY_SESSION_ID, true);
  }

  @Test
  void p1_refreshAndGraceRetryRacingRevokeAll() throws Exception {
    refreshRacingLogout(Logout.EVERYWHERE, true);
  }

  /** Forced: a refresh has read the live session and minted; a logout lands; then it rotates. */
  @Test
  void p1_refreshParkedBeforeRotate_logoutLands_rotationMustFail() throws Exception {
    for (Logout how : Logout.values()) {
      ParkingStore store = new ParkingStore(new InMemoryTokenStore());
      store.parkNext(Step.ROTATE, When.BEFORE);
      TokenService tokens = base(store, MutableClock.startingAt2026()).build();
      IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
      Future<RefreshResult> refresh =
          POOL.submit(() -> tokens.refresh(p0.refreshPlaintext(), CLIENT));
      store.awaitParked();
      logout(tokens, p0, how);
      store.release();
      RefreshResult r = refresh.get(10, TimeUnit.SECONDS);
      assertFalse(r.isRefreshed(), how + ": " + r);
      assertEquals(null, stillAlive(tokens, p0, CLIENT), how.toString());
    }
  }

  /** Forced: a grace retry has read the tombstone; a logout lands; the retry's pair must be dead. */
  @Test
  void p1_graceRetryParkedAfterFind_logoutLands_pairIsDead() throws Exception {
    for (Logout how : Logout.values()) {
      ParkingStore store = new ParkingStore(new InMemoryTokenStore());
      TokenService tokens = base(store, MutableClock.startingAt2026()).build();
      IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
      IssuedPair p1 = pairOf(tokens.refresh(p0.refreshPlaintext(), CLIENT));
      store.parkNext(Step.FIND, When.AFTER);
      Future<RefreshResult> retry =
          POOL.submit(() -> tokens.refresh(p0.refreshPlaintext(), CLIENT));
      store.awaitParked();
      logout(tokens, p1, how);
      store.release();
      RefreshResult r = retry.get(10, TimeUnit.SECONDS);
      if (r.isRefreshed()) {
        assertEquals(null, stillAlive(tokens, pairOf(r), CLIENT), how.toString());
      }
      assertEquals(null, stillAlive(tokens, p1, CLIENT), how.toString());
    }
  }

  /** Forced: revokeAll racing a refresh parked after find and a retry. */
  @Test
  void p1_revokeAllParked_refreshesQueueBehindIt() throws Exception {
    ParkingStore store = new ParkingStore(new InMemoryTokenStore());
    TokenService tokens = base(store, MutableClock.startingAt2026()).build();
    List<IssuedPair> pairs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      pairs.add(tokens.issuePair("alice", "d" + i, CLIENT));
    }
    store.parkNext(Step.REVOKE_ALL, When.AFTER);
    Future<Integer> all = POOL.submit(() -> tokens.revokeAll("alice"));
    store.awaitParked();
    // revokeAll applied but not yet returned: refreshes now must fail already
    for (IssuedPair p : pairs) {
      assertFalse(tokens.refresh(p.refreshPlaintext(), CLIENT).isRefreshed());
    }
    store.release();
    assertEquals(5, all.get());
    for (IssuedPair p : pairs) {
      assertEquals(null, stillAlive(tokens, p, CLIENT));
    }
    assertEquals(0, tokens.sessions("alice").size());
  }

  /**
   * Promise 1, once broken: Idle timeout on. An authenticate reads a live session,
   * computes its slid expiry and stalls before {@code touch}. The session idles out; the user logs
   * out (revoke returns false: "not live"); the stale touch lands and the session lives again.
   */
  @Test
  void p1_logoutOfIdledOutSession_aStaleTouchCannotResurrectIt() throws Exception {
    MutableClock clock = MutableClock.startingAt2026();
    ParkingStore store = new ParkingStore(new InMemoryTokenStore());
    TokenService tokens = base(store, clock).idleTimeout(Duration.ofMinutes(10)).build();
    IssuedToken token = tokens.issue("alice", "laptop");          // expires T+10m
    clock.advance(Duration.ofMinutes(9));                          // T+9m, live
    store.parkNext(Step.TOUCH, When.BEFORE);
    Future<AuthResult> slow = POOL.submit(() -> tokens.authenticate(token.plaintext()));
    store.awaitParked();          // wants expiry T+19m
    clock.advance(Duration.ofMinutes(2));                          // T+11m: idled out
    boolean revoked = tokens.revoke(token.plaintext());            // the logout returns
    boolean revokedById = tokens.revokeSession("alice", token.session().id());
    store.release();
    assertTrue(slow.get(10, TimeUnit.SECONDS).isAuthenticated());
    AuthResult after = tokens.authenticate(token.plaintext());
    assertFalse(after.isAuthenticated(), "revoke returned " + revoked + "/" + revokedById
        + ", yet the token authenticates again: " + after + "; sessions listed: "
        + tokens.sessions("alice").size());
  }

  /** Promise 1, once broken: same, with a refresh's rotation landing late. */
  @Test
  void p1_logoutOfIdledOutSession_aStaleRotationCannotResurrectIt() throws Exception {
    MutableClock clock = MutableClock.startingAt2026();
    ParkingStore store = new ParkingStore(new InMemoryTokenStore());
    TokenService tokens = base(store, clock).idleTimeout(Duration.ofMinutes(10)).build();
    IssuedPair p0 = tokens.issuePair("alice", "phone", CLIENT);    // session ends T+10m
    clock.advance(Duration.ofMinutes(9));
    store.parkNext(Step.ROTATE, When.BEFORE);
    Future<RefreshResult> slow = POOL.submit(() -> tokens.refresh(p0.refreshPlaintext(), CLIENT));
    store.awaitParked();
    clock.advance(Duration.ofMinutes(2));                          // T+11m: idled out
    boolean revoked = tokens.revokeSession("alice", p0.session().id());
    boolean revokedByToken = tokens.revoke(p0.refreshPlaintext());
    store.release();
    RefreshResult r = slow.get(10, TimeUnit.SECONDS);
    if (r.isRefreshed()) {
      String alive = stillAlive(tokens, pairOf(r), CLIENT);
      assertEquals(null, alive, "revoke returned " + revoked + "/" + revokedByToken
          + " yet the pair of a refresh that raced it works; sessions listed: "
          + tokens.sessions("alice").size());
    }
  }

  /**
   * Promise 1, once broken: a logout of an expired-but-not-purged session is a no-op,
   * so if the clock then steps back (NTP correction, VM restore) the token works again.
   */
  @Test
  void p1_logoutOfExpiredSession_thenClockStepsBack_tokenStaysRefused() {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock)
        .absoluteTtl(Duration.ofHours(1)).build();
    IssuedToken token = tokens.issue("alice", "laptop");
    Instant start = clock.instant();
    clock.set(start.plus(Duration.ofMinutes(61)));                // clock jumped ahead
    boolean revoked = tokens.revoke(token.plaintext());
    clock.set(start.plus(Duration.ofMinutes(30)));                // and is corrected back
    assertFalse(tokens.authenticate(token.plaintext()).isAuthenticated(),
        "revoke returned " + revoked + " but the token authenticates again");
  }

  @Test
  void p1_revokeAll_thenPurge_thenClockBack_nothingComesBack() {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock)
        .absoluteTtl(Duration.ofHours(1)).build();
    IssuedPair p = tokens.issuePair("alice", null, CLIENT);
    IssuedToken t = tokens.issue("alice");
    assertEquals(2, tokens.revokeAll("alice"));
    assertEquals(0, tokens.purgeExpired());
    assertEquals(null, stillAlive(tokens, p, CLIENT));
    assertFalse(tokens.authenticate(t.plaintext()).isAuthenticated());
    clock.advance(Duration.ofHours(2));
    assertEquals(2, tokens.purgeExpired());
    clock.advance(Duration.ofHours(-2));
    assertEquals(null, stillAlive(tokens, p, CLIENT));
    assertFalse(tokens.authenticate(t.plaintext()).isAuthenticated());
    assertEquals(0, tokens.sessions("alice").size());
  }

  /** revokeAll of an expired session, then the clock goes back: still revoked. */
  @Test
  void p1_revokeAllOfExpiredSession_thenClockBack_staysRevoked() {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock)
        .absoluteTtl(Duration.ofHours(1)).build();
    IssuedPair p = tokens.issuePair("alice", null, CLIENT);
    clock.advance(Duration.ofHours(2));
    tokens.revokeAll("alice");
    clock.advance(Duration.ofHours(-2));
    assertEquals(null, stillAlive(tokens, p, CLIENT));
  }

  /** purgeExpired racing refresh and revoke of a session at its expiry, many times. */
  @Test
  void p1_purgeRacingRefreshAndRevokeAtExpiry() throws Exception {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock)
        .idleTimeout(Duration.ofMinutes(10)).build();
    int bad = 0;
    for (int trial = 0; trial < 1000; trial++) {
      IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
      Instant end = p0.refreshExpiresAt();
      clock.set(end.minusNanos(1));
      List<Object> rs = race(
          () -> tokens.refresh(p0.refreshPlaintext(), CLIENT),
          () -> {
            clock.set(end);
            return tokens.purgeExpired();
          },
          () -> tokens.revoke(p0.access().plaintext()));
      clock.set(end.minusNanos(1));
      boolean revokedOk = Boolean.TRUE.equals(rs.get(2));
      if (rs.get(0) instanceof RefreshResult.Refreshed ok && revokedOk
          && stillAlive(tokens, ok.pair(), CLIENT) != null) {
        bad++;
      }
      clock.advance(Duration.ofDays(1));
      tokens.purgeExpired();
    }
    assertEquals(0, bad);
  }

  // ================================================================ promise 2: one chain

  /**
   * Promise 2, once broken: Parallel refreshes of one token with real
   * threads: all must get the very same pair. InMemoryTokenStore.find reads the token and then its
   * session without a lock, so it can see the old, unrotated token with the session already
   * pointing at its successor: RefreshChain then answers REVOKED ("a fork") to a legitimate tab.
   */
  @Test
  void p2_parallelRefreshesOfOneToken_allGetTheSamePair() throws Exception {
    MutableClock clock = MutableClock.startingAt2026();
    InMemoryTokenStore store = new InMemoryTokenStore();
    TokenService tokens = base(store, clock).build();
    int trials = 6000;
    int split = 0;
    Map<String, Integer> odd = new ConcurrentHashMap<>();
    for (int trial = 0; trial < trials; trial++) {
      IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
      Callable<RefreshResult> r = () -> tokens.refresh(p0.refreshPlaintext(), CLIENT);
      List<RefreshResult> results = race(r, r, r);
      Set<String> refreshes = new HashSet<>();
      boolean anyRefused = false;
      for (RefreshResult res : results) {
        if (res instanceof RefreshResult.Refreshed ok) {
          refreshes.add(ok.pair().refreshPlaintext());
        } else {
          anyRefused = true;
          odd.merge(res.toString(), 1, Integer::sum);
        }
      }
      if (refreshes.size() != 1 || anyRefused) {
        split++;
      }
    }
    assertEquals(0, split, split + " of " + trials
        + " trials with a non-identical outcome; rejections seen: " + odd
        + "; session revoked afterwards? sessions=" + tokens.sessions("alice").size());
  }

  /**
   * Promise 2, once broken: A grace retry returns the pair sealed
   * beside the rotated token; it must work at once.
   * InMemoryTokenStore.rotate writes the tombstone (with the sealed pair) before the new tokens, so
   * a retry can hand out a pair whose tokens are UNKNOWN for a moment.
   */
  @Test
  void p2_graceRetryPair_worksImmediately() throws Exception {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock).build();
    int bad = 0;
    String first = null;
    int trials = 4000;
    for (int trial = 0; trial < trials; trial++) {
      IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
      Callable<String> r = () -> {
        RefreshResult res = tokens.refresh(p0.refreshPlaintext(), CLIENT);
        if (!(res instanceof RefreshResult.Refreshed ok)) {
          return null;
        }
        AuthResult a = tokens.authenticate(ok.pair().access().plaintext(), CLIENT);
        return a.isAuthenticated() ? null : "new access token refused: " + a;
      };
      for (String s : race(r, r, r)) {
        if (s != null) {
          bad++;
          first = s;
        }
      }
    }
    assertEquals(0, bad, bad + " of " + trials * 3 + " refreshes handed out a pair that was not "
        + "usable yet: " + first);
  }

  /**
   * Promise 2, once broken: Three tabs share one session and keep refreshing what
   * they got, racing each other (every refresh is either a first use or a grace retry of the same
   * chain). No refresh may be refused and the session must keep exactly one live refresh token.
   * Cause: InMemoryTokenStore.find reads the token, then (separately, lock-free) its session; a
   * rotation landing between the two reads shows the old token as not rotated while the session
   * already names its successor, and RefreshChain answers that "fork" with REVOKED.
   */
  @Test
  void p2_tabsRefreshingOneChainInParallel_noneIsRefused() throws Exception {
    MutableClock clock = MutableClock.startingAt2026();
    InMemoryTokenStore store = new InMemoryTokenStore();
    TokenService tokens = base(store, clock).build();
    int trials = 300;
    int refused = 0;
    Map<String, Integer> reasons = new ConcurrentHashMap<>();
    for (int trial = 0; trial < trials; trial++) {
      IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
      Callable<String> walker = () -> {
        String current = p0.refreshPlaintext();
        for (int i = 0; i < 20; i++) {
          RefreshResult res = tokens.refresh(current, CLIENT);
          if (res instanceof RefreshResult.Refreshed ok) {
            current = ok.pair().refreshPlaintext();
          } else {
            reasons.merge(res.toString(), 1, Integer::sum);
            return "step " + i + ": " + res;
          }
        }
        return null;
      };
      List<String> outs = race(walker, walker, walker);
      SessionRecord rec = store.findSession(p0.session().id()).orElseThrow();
      long liveRefresh = store.tokensOf(p0.session().id()).stream()
          .filter(t -> t.expiresAt() == null && !t.isRotated()).count();
      assertEquals(1, liveRefresh, "trial " + trial);
      assertFalse(rec.isRevoked(), "trial " + trial + " " + outs);
      if (outs.stream().anyMatch(o -> o != null)) {
        refused++;
      }
    }
    assertEquals(0, refused, refused + " of " + trials + " trials had a legitimate refresh "
        + "refused: " + reasons);
  }

  @Test
  void p2_afterGrace_rotatedTokenIsReused_onlyThatSession() {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock).build();
    IssuedPair victim = tokens.issuePair("alice", "phone", CLIENT);
    IssuedPair sibling = tokens.issuePair("alice", "laptop", CLIENT);
    IssuedToken single = tokens.issue("alice");
    IssuedPair p1 = pairOf(tokens.refresh(victim.refreshPlaintext(), CLIENT));
    clock.advance(Duration.ofSeconds(10));                         // exactly at grace end
    assertEquals(AuthResult.Reason.REUSED, reasonOf(tokens.refresh(victim.refreshPlaintext(),
        CLIENT)));
    assertEquals(null, stillAlive(tokens, p1, CLIENT));
    assertTrue(tokens.authenticate(sibling.access().plaintext(), CLIENT).isAuthenticated());
    assertTrue(tokens.authenticate(single.plaintext()).isAuthenticated());
    assertEquals(2, tokens.sessions("alice").size());
  }

  @Test
  void p2_graceEdges_justBeforeEndSamePair_atEndReused() {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock).build();
    IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
    IssuedPair p1 = pairOf(tokens.refresh(p0.refreshPlaintext(), CLIENT));
    clock.advance(Duration.ofSeconds(10).minusNanos(1));
    IssuedPair again = pairOf(tokens.refresh(p0.refreshPlaintext(), CLIENT));
    assertEquals(p1.refreshPlaintext(), again.refreshPlaintext());
    assertEquals(p1.access().plaintext(), again.access().plaintext());
    assertEquals(p1.refreshExpiresAt(), again.refreshExpiresAt());
    assertEquals(p1.access().session(), again.access().session());
    clock.advance(Duration.ofNanos(1));
    assertEquals(AuthResult.Reason.REUSED, reasonOf(tokens.refresh(p0.refreshPlaintext(),
        CLIENT)));
  }

  @Test
  void p2_rotatedTokenFromOtherClient_withBinding_isReused_withinAndAfterGrace() {
    for (Duration wait : List.of(Duration.ZERO, Duration.ofSeconds(11))) {
      MutableClock clock = MutableClock.startingAt2026();
      TokenService tokens = base(new InMemoryTokenStore(), clock)
          .clientBinding(ClientBinding.Policy.exactAddress().andUserAgent()).build();
      IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
      IssuedPair p1 = pairOf(tokens.refresh(p0.refreshPlaintext(), CLIENT));
      clock.advance(wait);
      assertEquals(AuthResult.Reason.REUSED, reasonOf(tokens.refresh(p0.refreshPlaintext(),
          OTHER)), "after " + wait);
      assertEquals(null, stillAlive(tokens, p1, CLIENT));
      // a current token from another client is a mismatch, not reuse, and does not revoke
      IssuedPair q = tokens.issuePair("alice", null, CLIENT);
      assertEquals(AuthResult.Reason.CLIENT_MISMATCH,
          reasonOf(tokens.refresh(q.refreshPlaintext(), OTHER)));
      assertTrue(tokens.authenticate(q.access().plaintext(), CLIENT).isAuthenticated());
    }
  }

  /** Reuse detection racing a legitimate refresh: the session must end revoked, nothing lives. */
  @Test
  void p2_reuseRacingLegitRefresh_sessionEndsRevoked() throws Exception {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock).build();
    for (int trial = 0; trial < 1500; trial++) {
      IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
      IssuedPair p1 = pairOf(tokens.refresh(p0.refreshPlaintext(), CLIENT));
      clock.advance(Duration.ofSeconds(11));
      List<RefreshResult> rs = race(
          () -> tokens.refresh(p0.refreshPlaintext(), OTHER),
          () -> tokens.refresh(p1.refreshPlaintext(), CLIENT));
      assertEquals(AuthResult.Reason.REUSED, reasonOf(rs.get(0)), "trial " + trial);
      if (rs.get(1) instanceof RefreshResult.Refreshed ok) {
        assertEquals(null, stillAlive(tokens, ok.pair(), CLIENT), "trial " + trial);
      }
      assertEquals(null, stillAlive(tokens, p1, CLIENT), "trial " + trial);
      tokens.revokeAll("alice");
    }
  }

  /** Two rotated tokens of one chain within grace each return their own successor, no fork. */
  @Test
  void p2_twoRotatedTokensOfOneChain_withinGrace() {
    MutableClock clock = MutableClock.startingAt2026();
    InMemoryTokenStore store = new InMemoryTokenStore();
    TokenService tokens = base(store, clock).build();
    IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
    IssuedPair p1 = pairOf(tokens.refresh(p0.refreshPlaintext(), CLIENT));
    clock.advance(Duration.ofSeconds(1));
    IssuedPair p2 = pairOf(tokens.refresh(p1.refreshPlaintext(), CLIENT));
    clock.advance(Duration.ofSeconds(1));
    assertEquals(p1.refreshPlaintext(),
        pairOf(tokens.refresh(p0.refreshPlaintext(), CLIENT)).refreshPlaintext());
    assertEquals(p2.refreshPlaintext(),
        pairOf(tokens.refresh(p1.refreshPlaintext(), CLIENT)).refreshPlaintext());
    long live = store.tokensOf(p0.session().id()).stream()
        .filter(t -> t.expiresAt() == null && !t.isRotated()).count();
    assertEquals(1, live);
    // The retried p1 carries an already-rotated refresh token: used after p1's grace it is reuse
    clock.advance(Duration.ofSeconds(10));
    assertEquals(AuthResult.Reason.REUSED, reasonOf(tokens.refresh(p1.refreshPlaintext(),
        CLIENT)));
    assertEquals(null, stillAlive(tokens, p2, CLIENT));
  }

  /** A grace retry after the session was revoked is refused, not served from the sealed pair. */
  @Test
  void p2_graceRetryAfterRevoke_refused() {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock).build();
    IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
    IssuedPair p1 = pairOf(tokens.refresh(p0.refreshPlaintext(), CLIENT));
    assertTrue(tokens.revoke(p0.refreshPlaintext()));   // revoke() with a rotated refresh token
    assertEquals(AuthResult.Reason.REVOKED, reasonOf(tokens.refresh(p0.refreshPlaintext(),
        CLIENT)));
    assertEquals(null, stillAlive(tokens, p1, CLIENT));
    assertFalse(tokens.revoke(p1.refreshPlaintext()));
  }

  /** Grace zero: parallel tabs reuse (documented); results stay typed, session ends revoked. */
  @Test
  void p2_graceZero_parallelRefreshes_typedResults() throws Exception {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock)
        .refreshGrace(Duration.ZERO).build();
    for (int trial = 0; trial < 500; trial++) {
      IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
      Callable<RefreshResult> r = () -> tokens.refresh(p0.refreshPlaintext(), CLIENT);
      List<RefreshResult> rs = race(r, r);
      long ok = rs.stream().filter(RefreshResult::isRefreshed).count();
      assertTrue(ok <= 1);
      if (ok == 1 && rs.stream().anyMatch(x -> !x.isRefreshed()
          && ((RefreshResult.Rejected) x).reason() == AuthResult.Reason.REUSED)) {
        for (RefreshResult x : rs) {
          if (x instanceof RefreshResult.Refreshed p) {
            assertEquals(null, stillAlive(tokens, p.pair(), CLIENT));
          }
        }
      }
    }
  }

  // ================================================================ promise 3: secrets

  private static List<String> secretsOf(IssuedPair p) {
    return List.of(p.access().plaintext(), p.refreshPlaintext());
  }

  private static void assertNoSecret(String text, List<String> secrets, String where) {
    for (String s : secrets) {
      assertFalse(text.contains(s), where + " leaks a token");
      assertFalse(text.contains(s.substring(s.indexOf('_') + 1, s.indexOf('_') + 20)),
          where + " leaks a token body");
    }
  }

  @Test
  void p3_noPlaintextInRecordsOrToString() {
    MutableClock clock = MutableClock.startingAt2026();
    InMemoryTokenStore memory = new InMemoryTokenStore();
    List<Object> seen = new ArrayList<>();
    ForwardingTokenStore spy = new ForwardingTokenStore(memory) {
      @Override
      public boolean rotate(Rotation rotation) {
        seen.add(rotation);
        return super.rotate(rotation);
      }

      @Override
      public void create(SessionRecord session, List<TokenRecord> tokens) {
        seen.add(session);
        seen.add(tokens);
        super.create(session, tokens);
      }
    };
    TokenService tokens = base(spy, clock)
        .clientBinding(ClientBinding.Policy.exactAddress().andUserAgent()).build();
    List<String> secrets = new ArrayList<>();
    IssuedPair p0 = tokens.issuePair("alice", "label", CLIENT);
    IssuedToken single = tokens.issue("alice", "x");
    secrets.addAll(secretsOf(p0));
    secrets.add(single.plaintext());
    RefreshResult r1 = tokens.refresh(p0.refreshPlaintext(), CLIENT);
    RefreshResult retry = tokens.refresh(p0.refreshPlaintext(), CLIENT);
    secrets.addAll(secretsOf(pairOf(r1)));
    List<Object> all = new ArrayList<>(seen);
    all.addAll(List.of(p0, single, r1, retry, tokens, p0.session(), tokens.authenticate(
        pairOf(r1).access().plaintext(), CLIENT)));
    memory.forEachSession(s -> {
      all.add(s);
      all.add(memory.tokensOf(s.id()));
    });
    for (Object o : all) {
      assertNoSecret(String.valueOf(o), secrets, o.getClass().getSimpleName());
    }
    // sealed bytes: no plaintext in the clear
    for (TokenRecord t : memory.tokensOf(p0.session().id())) {
      if (t.successor() != null) {
        String raw = new String(t.successor().bytes(), StandardCharsets.ISO_8859_1);
        assertNoSecret(raw, secrets, "sealed bytes");
      }
    }
  }

  @Test
  void p3_sealedSuccessor_opensOnlyWithTheRotatedPlaintext() {
    MutableClock clock = MutableClock.startingAt2026();
    InMemoryTokenStore memory = new InMemoryTokenStore();
    TokenService tokens = base(memory, clock).build();
    IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
    IssuedPair p1 = pairOf(tokens.refresh(p0.refreshPlaintext(), CLIENT));
    IssuedPair q0 = tokens.issuePair("alice", null, CLIENT);
    pairOf(tokens.refresh(q0.refreshPlaintext(), CLIENT));
    TokenHash h0 = TokenHash.sha256(p0.refreshPlaintext());
    TokenRecord tomb = memory.tokensOf(p0.session().id()).stream()
        .filter(t -> t.hash().equals(h0)).findFirst().orElseThrow();
    SealedSuccessor sealed = tomb.successor();
    assertNotNull(sealed);
    SessionId id = p0.session().id();
    String hex = java.util.HexFormat.of().formatHex(h0.bytes());
    for (String guess : List.of(hex, p0.access().plaintext(), p1.refreshPlaintext(),
        q0.refreshPlaintext(), "", new String(h0.bytes(), StandardCharsets.ISO_8859_1),
        p0.refreshPlaintext().toUpperCase())) {
      assertTrue(sealed.open(guess, id, h0).isEmpty());
    }
    assertTrue(sealed.open(p0.refreshPlaintext(), id, h0).isPresent());
    // moved to another session or token: does not open
    assertTrue(sealed.open(p0.refreshPlaintext(), q0.session().id(), h0).isEmpty());
    assertTrue(sealed.open(p0.refreshPlaintext(), id,
        TokenHash.sha256(q0.refreshPlaintext())).isEmpty());
    // tampered bytes
    byte[] b = sealed.bytes();
    b[b.length - 1] ^= 1;
    assertTrue(SealedSuccessor.of(b, sealed.until()).open(p0.refreshPlaintext(), id, h0)
        .isEmpty());
  }

  /**
   * Beyond promise 3, once weak: The grace window is meant to bound what a
   * rotated refresh token is worth. But InMemoryTokenStore keeps each sealed successor until
   * someone calls purgeExpired, and each successor is keyed by the token before it. So an attacker
   * holding an old refresh token (long past its grace window; via the API it only triggers REUSED)
   * plus a copy of the store (heap dump, snapshot file written from forEachSession) walks the whole
   * chain and recovers the current pair.
   */
  @Test
  void p3_oldRotatedToken_plusStoreDump_cannotReachTheCurrentPair() {
    MutableClock clock = MutableClock.startingAt2026();
    InMemoryTokenStore memory = new InMemoryTokenStore();
    TokenService tokens = base(memory, clock).build();
    IssuedPair p = tokens.issuePair("alice", null, CLIENT);
    String stolen = p.refreshPlaintext();
    for (int i = 0; i < 5; i++) {
      clock.advance(Duration.ofHours(1));
      p = pairOf(tokens.refresh(p.refreshPlaintext(), CLIENT));
    }
    // the attacker's view: the store contents and the stolen, long-rotated token
    SessionId id = p.session().id();
    List<TokenRecord> dump = memory.tokensOf(id);
    String walk = stolen;
    for (int i = 0; i < 10; i++) {
      TokenHash h = TokenHash.sha256(walk);
      String w = walk;
      Optional<SealedSuccessor.Pair> next = dump.stream().filter(t -> t.hash().equals(h))
          .map(TokenRecord::successor).filter(s -> s != null)
          .map(s -> s.open(w, id, h)).flatMap(Optional::stream).findFirst();
      if (next.isEmpty()) {
        break;
      }
      walk = next.get().refresh();
    }
    assertNotEquals(p.refreshPlaintext(), walk,
        "a refresh token rotated 5 hours ago plus the store contents yield the current one");
  }

  // ================================================================ promise 4: bad input

  @Test
  void p4_weirdTokens_typedResultsOnly() {
    MutableClock clock = MutableClock.startingAt2026();
    for (boolean legacy : new boolean[] {false, true}) {
      TokenService.Builder b = base(new InMemoryTokenStore(), clock)
          .clientBinding(ClientBinding.Policy.exactAddress());
      if (legacy) {
        b.acceptLegacyTokens();
      }
      TokenService tokens = b.build();
      IssuedPair p = tokens.issuePair("alice", null, CLIENT);
      String good = p.access().plaintext();
      String rt = p.refreshPlaintext();
      List<String> weird = new ArrayList<>(Arrays.asList(null, "", " ", "tk_", "tka_", "tkr_",
          good + " ", " " + good, good.toUpperCase(), rt.substring(4), good.substring(4, 47),
          "tk_" + rt.substring(4), "tkr_" + good.substring(4), rt.replace('_', '-'),
          "\u0000".repeat(53), "\uD800".repeat(53), "é".repeat(43), "A".repeat(43),
          "A".repeat(1 << 20), "tkr_" + "\uD83D\uDE00".repeat(30), "Bearer " + good));
      Random random = new Random(42);
      for (int i = 0; i < 3000; i++) {
        char[] cs = rt.toCharArray();
        cs[random.nextInt(cs.length)] = (char) random.nextInt(0x10000);
        weird.add(new String(cs));
        char[] ca = good.toCharArray();
        ca[random.nextInt(ca.length)] = (char) (' ' + random.nextInt(95));
        weird.add(new String(ca));
      }
      for (String w : weird) {
        if (good.equals(w) || rt.equals(w)) {
          continue;   // a mutation that changed nothing
        }
        AuthResult a = tokens.authenticate(w);
        assertFalse(a.isAuthenticated(), String.valueOf(w));
        assertFalse(tokens.authenticate(w, OTHER).isAuthenticated());
        assertFalse(tokens.refresh(w, CLIENT).isRefreshed());
        assertFalse(tokens.revoke(w));
      }
      assertThrows(NullPointerException.class, () -> tokens.refresh(rt, null));
      assertThrows(NullPointerException.class, () -> tokens.authenticate(good, null));
      assertTrue(tokens.authenticate(good, CLIENT).isAuthenticated());
      assertEquals(AuthResult.Reason.MALFORMED, reasonOf(tokens.authenticate(rt)));
      assertEquals(AuthResult.Reason.MALFORMED, reasonOf(tokens.refresh(good, CLIENT)));
    }
  }

  @Test
  void p4_labelsAndSubjects() {
    TokenService tokens = base(new InMemoryTokenStore(), MutableClock.startingAt2026()).build();
    String huge = "x".repeat(5_000_000);
    assertEquals(256, tokens.issue("alice", huge).session().label().length());
    assertEquals(null, tokens.issue("alice", "\n\t\u0000  ").session().label());
    // a surrogate pair cut at the 256th char
    String emoji = "a" + "\uD83D\uDE00".repeat(200);
    assertNotNull(tokens.issuePair("alice", emoji, CLIENT).session().label());
    assertNotNull(tokens.issue("alice", "\u2028\u202E\uFEFF").session());
    assertThrows(IllegalArgumentException.class, () -> tokens.issue(""));
    assertThrows(IllegalArgumentException.class, () -> tokens.issue("   "));
    assertThrows(IllegalArgumentException.class, () -> tokens.issue("a\nb"));
    assertThrows(IllegalArgumentException.class, () -> tokens.issue("a".repeat(257)));
    assertThrows(NullPointerException.class, () -> tokens.issue(null));
    assertThrows(NullPointerException.class, () -> tokens.issuePair("a", null, null));
    assertEquals(0, tokens.revokeAll("nobody"));
    assertEquals(List.of(), tokens.sessions("nobody"));
    assertFalse(tokens.revokeSession("bob",
        tokens.issue("alice").session().id()));
  }

  /**
   * Promise 4, once broken: The clock steps back more than accessTtl behind the
   * session's creation: refresh mints an access token ending before createdAt, and the Session it
   * builds for the pair throws IllegalArgumentException out of refresh().
   */
  @Test
  void p4_clockStepsBack_refreshStillAnswersATypedResult() {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock).build();
    IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
    clock.advance(Duration.ofMinutes(-16));
    RefreshResult r;
    try {
      r = tokens.refresh(p0.refreshPlaintext(), CLIENT);
    } catch (RuntimeException e) {
      fail("refresh threw after the clock stepped back 16 min: " + e, e);
      return;
    }
    assertNotNull(r);
  }

  /** Clock moving back by small amounts between calls: only typed results. */
  @Test
  void p4_clockJitterBackwards_typedResults() {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock)
        .idleTimeout(Duration.ofMinutes(30)).accessTtl(Duration.ofMinutes(5)).build();
    Random random = new Random(7);
    IssuedPair p = tokens.issuePair("alice", null, CLIENT);
    IssuedToken t = tokens.issue("alice");
    List<String> errors = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      clock.advance(Duration.ofSeconds(random.nextInt(121) - 60));
      try {
        switch (random.nextInt(4)) {
          case 0 -> {
            RefreshResult r = tokens.refresh(p.refreshPlaintext(), CLIENT);
            if (r instanceof RefreshResult.Refreshed ok) {
              p = ok.pair();
            }
          }
          case 1 -> tokens.authenticate(p.access().plaintext(), CLIENT);
          case 2 -> tokens.authenticate(t.plaintext());
          default -> tokens.sessions("alice");
        }
      } catch (RuntimeException e) {
        errors.add(e.toString());
      }
    }
    assertEquals(List.of(), errors.subList(0, Math.min(3, errors.size())),
        errors.size() + " exceptions");
  }

  /** Promise 4, once broken: a huge absoluteTtl is accepted but issue() throws. */
  @Test
  void p4_hugeAbsoluteTtl_isRefusedByTheBuilder() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> base(new InMemoryTokenStore(), MutableClock.startingAt2026())
            .absoluteTtl(ChronoUnit.FOREVER.getDuration()));
    assertTrue(refused.getMessage().startsWith("absoluteTtl must be at most"),
        refused.getMessage());
    TokenService longest = base(new InMemoryTokenStore(), MutableClock.startingAt2026())
        .absoluteTtl(TokenService.MAX_LIFETIME).build();
    assertTrue(longest.authenticate(longest.issue("alice").plaintext()).isAuthenticated());
    assertTrue(longest.refresh(longest.issuePair("alice", null, CLIENT).refreshPlaintext(),
        CLIENT).isRefreshed());
  }

  @Test
  void p4_lifetimeEdges() {
    MutableClock clock = MutableClock.startingAt2026();
    // accessTtl == absoluteTtl == idleTimeout, grace 0
    TokenService tokens = base(new InMemoryTokenStore(), clock).absoluteTtl(Duration.ofHours(1))
        .idleTimeout(Duration.ofHours(1)).accessTtl(Duration.ofHours(1))
        .refreshGrace(Duration.ZERO).build();
    IssuedPair p = tokens.issuePair("alice", null, CLIENT);
    clock.advance(Duration.ofMinutes(59));
    IssuedPair p1 = pairOf(tokens.refresh(p.refreshPlaintext(), CLIENT));
    clock.advance(Duration.ofMinutes(1));                        // exactly the hard end
    assertEquals(AuthResult.Reason.EXPIRED, reasonOf(tokens.authenticate(
        p1.access().plaintext(), CLIENT)));
    assertEquals(AuthResult.Reason.EXPIRED, reasonOf(tokens.refresh(p1.refreshPlaintext(),
        CLIENT)));
    assertEquals(AuthResult.Reason.REUSED, reasonOf(tokens.refresh(p.refreshPlaintext(),
        CLIENT)));
    // tiny lifetimes
    TokenService tiny = base(new InMemoryTokenStore(), clock).absoluteTtl(Duration.ofNanos(1))
        .build();
    IssuedPair q = tiny.issuePair("alice", null, CLIENT);
    assertTrue(tiny.authenticate(q.access().plaintext(), CLIENT).isAuthenticated());
    IssuedPair q1 = pairOf(tiny.refresh(q.refreshPlaintext(), CLIENT));
    clock.advance(Duration.ofNanos(1));
    assertFalse(tiny.authenticate(q1.access().plaintext(), CLIENT).isAuthenticated());
    assertFalse(tiny.refresh(q1.refreshPlaintext(), CLIENT).isRefreshed());
    assertFalse(tiny.refresh(q.refreshPlaintext(), CLIENT).isRefreshed());
    assertEquals(1, tiny.purgeExpired());
    // builder edges
    assertThrows(IllegalArgumentException.class,
        () -> TokenService.builder().refreshGrace(Duration.ofMinutes(5).plusNanos(1)));
    assertThrows(IllegalArgumentException.class,
        () -> TokenService.builder().refreshGrace(Duration.ofNanos(-1)));
    assertThrows(IllegalArgumentException.class,
        () -> TokenService.builder().absoluteTtl(Duration.ZERO));
    assertThrows(IllegalStateException.class, () -> base(new InMemoryTokenStore(), clock)
        .absoluteTtl(Duration.ofHours(1)).accessTtl(Duration.ofHours(2)).build());
  }

  /** Expired but not purged: refresh and a grace retry both EXPIRED, reuse still detected. */
  @Test
  void p4_refreshOnExpiredButNotPurgedSession() {
    MutableClock clock = MutableClock.startingAt2026();
    TokenService tokens = base(new InMemoryTokenStore(), clock)
        .absoluteTtl(Duration.ofHours(1)).build();
    IssuedPair p0 = tokens.issuePair("alice", null, CLIENT);
    clock.advance(Duration.ofMinutes(59).plusSeconds(55));
    IssuedPair p1 = pairOf(tokens.refresh(p0.refreshPlaintext(), CLIENT));
    clock.advance(Duration.ofSeconds(5));                         // hard end, inside grace
    assertEquals(AuthResult.Reason.EXPIRED, reasonOf(tokens.refresh(p0.refreshPlaintext(),
        CLIENT)));
    assertEquals(AuthResult.Reason.EXPIRED, reasonOf(tokens.refresh(p1.refreshPlaintext(),
        CLIENT)));
    assertEquals(List.of(), tokens.sessions("alice"));
  }
}
