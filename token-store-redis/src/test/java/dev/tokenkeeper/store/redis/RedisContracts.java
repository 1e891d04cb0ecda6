package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.AcknowledgedStore;
import dev.tokenkeeper.core.IssuedPair;
import dev.tokenkeeper.core.RefreshResult;
import dev.tokenkeeper.core.SealedSuccessor;
import dev.tokenkeeper.core.SessionRaceContract;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenService;
import dev.tokenkeeper.core.TokenServiceContract;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import dev.tokenkeeper.core.TwoInstancesContract;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * token-core's contracts (the SPI, the service's promises, the logout races) on a Redis store
 * that a test class configures in {@link #builder}, once per deployment (one Redis, a cluster)
 * and option set, plus what every Redis deployment must add to them. A reopen closes the store
 * and builds a new one on the same Redis and key prefix, as a restarted instance would; a crash
 * drops it unclosed first. A second instance is another such store beside the first.
 */
interface RedisContracts extends TokenStoreContract, TokenServiceContract, SessionRaceContract,
    TwoInstancesContract {

  /** A store of this test's deployment and options on its prefix, reading {@code clock}. */
  RedisTokenStore.Builder builder(Clock clock);

  /** Milliseconds since the epoch by Redis's own clock ({@code TIME}). */
  long redisMillis();

  @Override
  default TokenStore newStore(Clock clock) {
    return builder(clock).build();
  }

  @Override
  default TokenStore reopen(TokenStore store) {
    store.close();
    return newStore(clock());
  }

  /** Another client, with a pool of its own, on the same Redis and prefix. */
  @Override
  default TokenStore secondInstance(TokenStore first) {
    return newStore(clock());
  }

  /**
   * A crash of this instance, not of Redis: the store is dropped without a close (its owed
   * touches never written) and a new one opens on the same Redis and prefix.
   */
  @Override
  default TokenStore reopenAfterCrash(TokenStore store) {
    ((RedisTokenStore) store).abandon();
    return newStore(clock());
  }

  /** 100 trials per pairing unless the property says otherwise: CI time; a long run sets it. */
  @Override
  default int raceTrials() {
    return Integer.getInteger("tokenkeeper.raceTrials", 100);
  }

  /**
   * The grace window is the service's clock's: Redis running past it (a slow run under a test
   * clock, an instance whose clock lags) must not drop the sealed pair while that clock says the
   * window is open, or the retry reads as reuse and ends the session.
   */
  @Test
  default void refresh_retriedInsideTheWindow_afterRedisTimeOutranIt_getsTheSamePair()
      throws InterruptedException {
    TokenService tokens = TokenService.builder().store(open()).clock(clock())
        .refreshGrace(Duration.ofMillis(50)).build();
    IssuedPair first = tokens.issuePair("alice", null, TokenServiceContract.CLIENT);
    IssuedPair winner = TokenServiceContract.refreshed(tokens.refresh(first.refreshPlaintext(),
        TokenServiceContract.CLIENT));
    long past = redisMillis() + 200;
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (redisMillis() < past) {
      assertTrue(System.nanoTime() < deadline, "Redis's clock stood still");
      Thread.sleep(10); // polling Redis's clock, which cannot be injected
    }
    RefreshResult retry = tokens.refresh(first.refreshPlaintext(), TokenServiceContract.CLIENT);
    IssuedPair again = assertInstanceOf(RefreshResult.Refreshed.class, retry, "retry read as "
        + retry).pair();
    assertEquals(winner.refreshPlaintext(), again.refreshPlaintext());
  }

  /**
   * Rotation's rule, by the rotation's instant and not Redis's clock: a later rotation drops the
   * pairs of earlier tombstones whose window it has passed, and keeps those still open.
   */
  @Test
  default void rotate_pastAnEarlierWindow_dropsThatPair_andKeepsOnesStillOpen() {
    AcknowledgedStore store = open();
    SessionRecord first = TokenStoreContract.createPair(store, "alice");
    assertTrue(store.rotate(TokenStoreContract.rotation(first, T0)));
    SessionRecord second = store.findSession(first.id()).orElseThrow();
    assertTrue(store.rotate(TokenStoreContract.rotation(second, T0.plusSeconds(5))));
    assertNotNull(successor(store, first.refreshHash()), "T0 + 5 s: inside the first window");
    SessionRecord third = store.findSession(first.id()).orElseThrow();

    assertTrue(store.rotate(TokenStoreContract.rotation(third, T0.plusSeconds(12))));

    assertNull(successor(store, first.refreshHash()), "T0 + 12 s: past the first window");
    assertNotNull(successor(store, second.refreshHash()), "and inside the second");
  }

  private static SealedSuccessor successor(TokenStore store, TokenHash rotated) {
    return store.find(rotated).orElseThrow().token().successor();
  }
}
