package dev.tokenkeeper.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenStoreContract;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revoke-all while two stores (two app instances) keep issuing tokens for the same subject: every
 * session is either revoked, or created after the revoke-all and live; nothing in between.
 */
class RevokeAllConcurrencyTest {

  private static final int THREADS = 4;
  private static final int BEFORE = 25;

  @TempDir
  Path dir;

  @Test
  void revokeAll_underConcurrentIssue_revokesExactlyAPrefixOfEachIssuer() throws Exception {
    MutableClock clock = new MutableClock(TokenStoreContract.T0);
    try (RedisServer server = RedisServer.start(dir, false);
        RedisTokenStore a = RedisTokenStore.builder().uri(server.uri()).clock(clock).build();
        RedisTokenStore b = RedisTokenStore.builder().uri(server.uri()).clock(clock).build()) {
      List<List<SessionRecord>> issued = new ArrayList<>();
      List<List<Boolean>> doneBeforeRevoke = new ArrayList<>();
      AtomicBoolean revokeStarted = new AtomicBoolean();
      AtomicBoolean revokeReturned = new AtomicBoolean();
      List<List<Boolean>> startedAfterRevoke = new ArrayList<>();
      CountDownLatch warmedUp = new CountDownLatch(THREADS);
      CountDownLatch stop = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      List<Future<?>> futures = new ArrayList<>();
      int revoked;
      try {
        for (int t = 0; t < THREADS; t++) {
          RedisTokenStore store = t % 2 == 0 ? a : b;
          List<SessionRecord> mine = new CopyOnWriteArrayList<>();
          List<Boolean> before = new CopyOnWriteArrayList<>();
          List<Boolean> after = new CopyOnWriteArrayList<>();
          issued.add(mine);
          doneBeforeRevoke.add(before);
          startedAfterRevoke.add(after);
          futures.add(pool.submit(() -> {
            int afterCount = 0;
            while (stop.getCount() > 0 && afterCount < BEFORE) {
              SessionRecord session = TokenStoreContract.session("alice");
              boolean startedAfter = revokeReturned.get();
              TokenStoreContract.createSingle(store, session);
              mine.add(session);
              before.add(!revokeStarted.get());
              after.add(startedAfter);
              if (startedAfter) {
                afterCount++;
              }
              if (mine.size() == BEFORE) {
                warmedUp.countDown();
              }
            }
            return null;
          }));
        }
        assertTrue(warmedUp.await(10, TimeUnit.SECONDS));
        revokeStarted.set(true);
        revoked = a.revokeAll("alice", Instant.parse("2026-01-01T00:00:01Z"));
        revokeReturned.set(true);
        for (Future<?> future : futures) {
          future.get(10, TimeUnit.SECONDS);
        }
      } finally {
        stop.countDown();
        pool.shutdownNow();
      }

      int revokedFound = 0;
      for (int t = 0; t < THREADS; t++) {
        boolean seenLive = false;
        for (int i = 0; i < issued.get(t).size(); i++) {
          boolean isRevoked = b.findSession(issued.get(t).get(i).id()).orElseThrow()
              .isRevoked();
          if (doneBeforeRevoke.get(t).get(i)) {
            assertTrue(isRevoked, "created before revoke-all began, yet live");
          }
          if (startedAfterRevoke.get(t).get(i)) {
            assertFalse(isRevoked, "created after revoke-all returned, yet revoked");
          }
          assertFalse(isRevoked && seenLive, "a revoked session created after a live one");
          seenLive |= !isRevoked;
          revokedFound += isRevoked ? 1 : 0;
        }
      }
      assertEquals(revoked, revokedFound, "revoke-all's count is exactly what it revoked");
    }
  }
}
