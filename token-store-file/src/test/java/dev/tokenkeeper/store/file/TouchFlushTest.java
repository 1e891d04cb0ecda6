package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writing the coalesced uses of many sessions is one batched write on a timer of its own, and
 * holds nothing a writer needs while it is on its way to the disk: a logout takes effect in memory
 * at once, even while a large flush of uses is being written.
 */
class TouchFlushTest {

  private static final int SESSIONS = 1_000;

  @TempDir
  Path dir;

  @Test
  void touchFlush_manySessions_isOneWrite_andALogoutMeanwhileTakesEffectAtOnce()
      throws Exception {
    FaultyDisk disk = new FaultyDisk();
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).disk(disk)
        .durability(Durability.NONE).touchPersistInterval(Duration.ofSeconds(2)).build()) {
      List<Issued> sessions = new ArrayList<>();
      for (int i = 0; i < SESSIONS; i++) {
        sessions.add(Issued.create(store, "user" + i));
      }
      for (Issued issued : sessions) {
        store.touch(issued.session().id(), T0.plusSeconds(60), T0.plusSeconds(7200));
      }
      int before = disk.appends().size();
      CountDownLatch held = disk.holdNextAppend();
      assertTrue(held.await(30, TimeUnit.SECONDS), "the touches were never flushed");

      Issued target = sessions.get(7);
      CompletableFuture<Boolean> logout =
          CompletableFuture.supplyAsync(() -> target.revoke(store, T0.plusSeconds(90)));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!target.isRevokedIn(store) && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      boolean revokedWhileFlushing = target.isRevokedIn(store);
      disk.releaseAppend(held);
      assertTrue(logout.get(30, TimeUnit.SECONDS));
      assertTrue(revokedWhileFlushing, "the logout waited for the flush's write to apply");
      assertEquals(2, disk.appends().size() - before,
          "one write for every use, one for the logout: " + disk.appends());
    }
  }
}
