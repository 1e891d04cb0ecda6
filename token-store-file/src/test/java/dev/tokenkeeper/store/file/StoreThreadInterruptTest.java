package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
      } catch (ExecutionException e) {
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

  /**
   * Writers of one thread group open the store and write with a small compaction threshold, so
   * the store's threads (compaction, timers) are made in their group; another thread interrupts
   * the whole group at random moments, as a container's clean-up of request threads might. No
   * write may be refused and the store must not fail: an interrupt that lands while the
   * compaction thread forces the directory must not count as a failed fsync.
   */
  @Test
  void writes_threadGroupInterruptedAtRandomDuringCompactions_storeDoesNotFail()
      throws Exception {
    long seed = Long.getLong("interrupt.seed", System.nanoTime());
    System.out.println("thread group interrupt test seed=" + seed
        + " (-Dinterrupt.seed=" + seed + " replays the choices)");
    Random random = new Random(seed);
    ThreadGroup requests = new ThreadGroup("requests");
    CompletableFuture<FileTokenStore> opened = new CompletableFuture<>();
    new Thread(requests, () -> {
      try {
        opened.complete(FileTokenStore.builder().directory(dir).clock(new MutableClock(T0))
            .touchPersistInterval(Duration.ofHours(1)).compactionThreshold(4 << 10).build());
      } catch (Throwable e) {
        opened.completeExceptionally(e);
      }
    }, "opener").start();
    List<Issued> created = Collections.synchronizedList(new ArrayList<>());
    List<Issued> revoked = Collections.synchronizedList(new ArrayList<>());
    int writers = 3;
    int calls = 150;
    try (FileTokenStore store = opened.get(30, TimeUnit.SECONDS)) {
      List<CompletableFuture<Void>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        long writerSeed = random.nextLong();
        String subject = "writer" + w;
        CompletableFuture<Void> finished = new CompletableFuture<>();
        done.add(finished);
        new Thread(requests, () -> {
          Random choices = new Random(writerSeed);
          List<Issued> mine = new ArrayList<>();
          try {
            for (int call = 0; call < calls; call++) {
              Issued.createOrRevoke(store, subject, choices, mine, T0.plusSeconds(call), created,
                  revoked);
              Thread.interrupted();
            }
            finished.complete(null);
          } catch (Throwable e) {
            finished.completeExceptionally(e);
          }
        }, "writer-" + w).start();
      }
      CompletableFuture<Void> all =
          CompletableFuture.allOf(done.toArray(CompletableFuture[]::new));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!all.isDone() && System.nanoTime() < deadline) {
        requests.interrupt();
        LockSupport.parkNanos(random.nextInt(300_000));
      }
      for (int w = 0; w < writers; w++) {
        try {
          done.get(w).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw new AssertionError("writer " + w + " was refused (seed " + seed + ")",
              e.getCause());
        }
      }
      assertFalse(store.isFailed(), "an interrupt of a store thread failed the store (seed "
          + seed + ")");
      assertTrue(store.stats().compactions() > 0, "no compaction ran (seed " + seed + ")");
    }
    try (FileTokenStore reopened = FileTokenStore.open(dir)) {
      for (Issued session : created) {
        assertTrue(session.in(reopened).isPresent(), "acknowledged, then lost: " + session);
      }
      for (Issued session : revoked) {
        assertTrue(session.isRevokedIn(reopened), "revoke acknowledged, then lost: " + session);
      }
    }
  }
}
