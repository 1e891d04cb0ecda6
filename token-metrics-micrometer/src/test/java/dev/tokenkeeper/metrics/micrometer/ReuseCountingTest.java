package dev.tokenkeeper.metrics.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AuthResult;
import dev.tokenkeeper.core.Client;
import dev.tokenkeeper.core.ForwardingTokenStore;
import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The counters around a reused refresh token, where calls race on real threads and the store can
 * fail: each refresh call moves {@code tokenkeeper.refreshes} by one, a theft counts one reuse,
 * and a revocation is counted once, with the cause of the call that actually ended the session.
 * Interleavings are forced by latches in the store, not left to chance.
 */
class ReuseCountingTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final MutableClock clock = MutableClock.startingAt2026();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Gated store = new Gated();
  private final TokenService tokens = TokenService.builder().store(store).clock(clock)
      .eventListeners(TokenMetrics.builder(registry).build()).build();
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void stop() throws InterruptedException {
    pool.shutdownNow();
    assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "a test thread is still stuck");
  }

  /**
   * Holds the first {@code held} lookups of one token hash or session id, after they have read the
   * store, until {@link #release} opens; can fail revocations.
   */
  static final class Gated extends ForwardingTokenStore {
    volatile Object watched;
    volatile boolean revokeDown;
    final AtomicInteger held = new AtomicInteger();
    volatile CountDownLatch read;
    final CountDownLatch release = new CountDownLatch(1);

    Gated() {
      super(new InMemoryTokenStore());
    }

    @Override
    public Optional<TokenEntry> find(TokenHash hash) {
      Optional<TokenEntry> found = super.find(hash);
      gate(hash);
      return found;
    }

    @Override
    public Optional<SessionRecord> findSession(SessionId id) {
      Optional<SessionRecord> found = super.findSession(id);
      gate(id);
      return found;
    }

    private void gate(Object key) {
      if (key.equals(watched) && held.getAndDecrement() > 0) {
        read.countDown();
        await(release);
      }
    }

    @Override
    public boolean revokeSession(SessionId id, Instant at) {
      if (revokeDown) {
        throw new StoreUnavailableException("revoke failed (test)");
      }
      return super.revokeSession(id, at);
    }

    void hold(Object key, int lookups) {
      read = new CountDownLatch(lookups);
      held.set(lookups);
      watched = key;
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        throw new AssertionError("timed out on a latch");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private Map<String, Double> counters() {
    return TokenMetricsTest.counters(registry);
  }

  private static Map<String, Double> moved(Map<String, Double> before,
      Map<String, Double> after) {
    Map<String, Double> diff = new TreeMap<>();
    after.forEach((key, value) -> {
      double delta = value - before.getOrDefault(key, 0.0);
      if (delta != 0) {
        diff.put(key, delta);
      }
    });
    return diff;
  }

  /** A pair whose first refresh token has been rotated and is past its grace window: stolen. */
  private IssuedPair stolenPair() {
    IssuedPair pair = tokens.issuePair("alice", null, Client.UNKNOWN);
    assertTrue(tokens.refresh(pair.refreshPlaintext(), Client.UNKNOWN).isRefreshed());
    clock.advance(Duration.ofMinutes(1));
    return pair;
  }

  /** Two refreshes of {@code token} on two threads, both held after their first lookup. */
  private List<RefreshResult> bothAfterTheirLookup(String token) throws Exception {
    List<Future<RefreshResult>> calls = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      calls.add(pool.submit(() -> tokens.refresh(token, Client.UNKNOWN)));
    }
    await(store.read);
    store.release.countDown();
    List<RefreshResult> results = new ArrayList<>();
    for (Future<RefreshResult> call : calls) {
      results.add(call.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    }
    return results;
  }

  private static AuthResult.Reason reason(RefreshResult result) {
    return ((RefreshResult.Rejected) result).reason();
  }

  @Test
  void reuse_whoseRevocationMeetsAnOutage_countsTheRefreshOnce() {
    String stolen = stolenPair().refreshPlaintext();
    store.revokeDown = true;
    Map<String, Double> before = counters();
    assertThrows(StoreUnavailableException.class, () -> tokens.refresh(stolen, Client.UNKNOWN));
    // The theft was seen, so it is counted; the call is counted once, as that reuse.
    assertEquals(Map.of("tokenkeeper.reuses{}", 1.0,
        "tokenkeeper.refreshes{result=reused,}", 1.0), moved(before, counters()));
  }

  @Test
  void twoReplaysOfOneStolenToken_racing_countOneReuse_andOneRevocation() throws Exception {
    String stolen = stolenPair().refreshPlaintext();
    store.hold(TokenHash.sha256(stolen), 2);
    Map<String, Double> before = counters();
    // Both replays read the session while it is still live, then go on together.
    List<AuthResult.Reason> reasons =
        bothAfterTheirLookup(stolen).stream().map(ReuseCountingTest::reason).toList();
    // As if one came after the other: the first ends the session as theft, the second finds it
    // revoked. One theft, one revocation.
    assertEquals(Map.of("tokenkeeper.reuses{}", 1.0,
        "tokenkeeper.refreshes{result=reused,}", 1.0,
        "tokenkeeper.refreshes{result=revoked,}", 1.0,
        "tokenkeeper.revocations{cause=reuse,scope=session,}", 1.0), moved(before, counters()));
    assertEquals(Set.of(AuthResult.Reason.REUSED, AuthResult.Reason.REVOKED),
        Set.copyOf(reasons));
  }

  @Test
  void replayRacingALogout_isCountedAsOneOrTheOther_neverAReuseWithAUserRevocation()
      throws Exception {
    IssuedPair pair = stolenPair();
    String stolen = pair.refreshPlaintext();
    store.hold(TokenHash.sha256(stolen), 1);
    Map<String, Double> before = counters();
    Future<RefreshResult> replay = pool.submit(() -> tokens.refresh(stolen, Client.UNKNOWN));
    await(store.read);
    // The replay has read the live session; the user logs out before it goes on.
    assertTrue(tokens.revokeSession("alice", pair.session().id()));
    store.release.countDown();
    AuthResult.Reason replayed = reason(replay.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    // As if the replay came after the logout, which ended the session: no theft to count.
    assertEquals(Map.of("tokenkeeper.revocations{cause=user,scope=session,}", 1.0,
        "tokenkeeper.refreshes{result=revoked,}", 1.0), moved(before, counters()));
    assertEquals(AuthResult.Reason.REVOKED, replayed);
  }

  @Test
  void replay_afterTheSessionExpired_countsTheReuse_butNoRevocation() {
    String stolen = stolenPair().refreshPlaintext();
    clock.advance(TokenService.DEFAULT_ABSOLUTE_TTL);
    Map<String, Double> before = counters();
    assertEquals(AuthResult.Reason.REUSED, reason(tokens.refresh(stolen, Client.UNKNOWN)));
    // The session had already ended: revoking it ended no live session.
    assertEquals(Map.of("tokenkeeper.reuses{}", 1.0,
        "tokenkeeper.refreshes{result=reused,}", 1.0), moved(before, counters()));
  }

  @Test
  void refreshRacingRefresh_withinGrace_countsOneRefreshAndOneRetry() throws Exception {
    IssuedPair pair = tokens.issuePair("alice", null, Client.UNKNOWN);
    String current = pair.refreshPlaintext();
    store.hold(TokenHash.sha256(current), 2);
    Map<String, Double> before = counters();
    for (RefreshResult refresh : bothAfterTheirLookup(current)) {
      assertTrue(refresh.isRefreshed());
    }
    assertEquals(Map.of("tokenkeeper.refreshes{result=refreshed,}", 1.0,
        "tokenkeeper.refreshes{result=retried,}", 1.0), moved(before, counters()));
  }

  @Test
  void logoutRacingLogoutEverywhere_countsTheSessionOnce_underTheCallThatEndedIt()
      throws Exception {
    IssuedPair pair = tokens.issuePair("alice", null, Client.UNKNOWN);
    tokens.issuePair("alice", null, Client.UNKNOWN);
    store.hold(pair.session().id(), 1);
    Map<String, Double> before = counters();
    // The logout has read its session live; logout everywhere ends it before the logout goes on.
    Future<Boolean> logout =
        pool.submit(() -> tokens.revokeSession("alice", pair.session().id()));
    await(store.read);
    assertEquals(2, tokens.revokeAll("alice"));
    store.release.countDown();
    assertEquals(false, logout.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertEquals(Map.of("tokenkeeper.revocations{cause=user,scope=all,}", 2.0),
        moved(before, counters()));
  }
}
