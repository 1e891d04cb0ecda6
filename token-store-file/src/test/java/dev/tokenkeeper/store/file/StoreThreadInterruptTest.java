package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's own threads are made by whichever thread first needs them, so they join that
 * thread's {@link ThreadGroup}: a {@code ThreadGroup.interrupt()} of a group of request threads
 * (or any code that interrupts the threads it finds) reaches them too. An interrupt must not fail
 * the store there either: the compaction thread forces the directory through a
 * {@code FileChannel}, which a pending interrupt closes before it forces.
 */
class StoreThreadInterruptTest {

  @TempDir
  Path dir;

  private final FaultyDisk disk = new FaultyDisk();

  @Test
  void compact_requestThreadGroupInterruptedWhileTheSnapshotIsForced_storeDoesNotFail()
      throws Exception {
    List<Issued> created = new ArrayList<>();
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).disk(disk)
        .clock(new MutableClock(T0)).touchPersistInterval(Duration.ofHours(1)).build()) {
      for (int i = 0; i < 20; i++) {
        created.add(Issued.create(store, "user" + i));
      }
      ThreadGroup requests = new ThreadGroup("requests");
      CompletableFuture<Void> compaction = new CompletableFuture<>();
      FaultyDisk.Hold hold = disk.holdNextForce("snapshot-");
      // The first compact() makes the compaction thread, in the requests group.
      Thread request = new Thread(requests, () -> {
        try {
          store.compact();
          compaction.complete(null);
        } catch (Throwable e) {
          compaction.completeExceptionally(e);
        }
      }, "request");
      request.start();
      hold.awaitHeld();
      // Reaches the compaction thread (parked in the snapshot's force) if it is in the group.
      requests.interrupt();
      hold.release();

      try {
        compaction.get(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new AssertionError("compaction refused after its thread group was interrupted",
            e.getCause());
      }
      assertFalse(store.isFailed(), "an interrupt of the compaction thread failed the store");
      assertEquals(1, store.stats().compactions());
      Issued other = Issued.create(store, "other");
      created.add(other);
      assertTrue(other.revoke(store, T0.plusSeconds(5)));
    }
    try (FileTokenStore reopened = FileTokenStore.open(dir)) {
      for (Issued session : created) {
        assertTrue(session.in(reopened).isPresent(), "acknowledged, then lost: " + session);
      }
    }
  }
}
