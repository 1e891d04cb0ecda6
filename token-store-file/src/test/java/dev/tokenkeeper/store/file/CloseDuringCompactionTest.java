package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.SessionRecord;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A close, or a purge, that begins while a compaction is writing its snapshot: a use noted only in
 * memory is written by the close, never taken by a step the closing store then refuses.
 */
class CloseDuringCompactionTest {

  private static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);

  @TempDir
  Path dir;

  private FileTokenStore open(Disk disk) {
    return FileTokenStore.builder().directory(dir).clock(CLOCK).disk(disk)
        .compactionThreshold(Long.MAX_VALUE).touchPersistInterval(Duration.ofHours(1)).build();
  }

  @Test
  void aUseNotedWhileTheSnapshotIsWritten_isWrittenByACloseRacingTheSwap() throws Exception {
    FaultyDisk disk = new FaultyDisk();
    Issued issued;
    Instant used = T0.plusSeconds(600);
    FileTokenStore store = open(disk);
    issued = Issued.create(store, "alice", Duration.ofHours(1));
    FaultyDisk.Hold hold = disk.holdNextForce("snapshot-");
    Thread compaction = compactionHeldInItsSnapshot(store, hold);
    // After the rotation: a use noted only in memory (the old index).
    store.touch(issued.id(), used, used.plus(Duration.ofHours(2)));
    assertEquals(used, store.findSession(issued.id()).orElseThrow().session().lastUsedAt());
    Thread closer = new Thread(store::close);
    closer.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!store.isClosed() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertTrue(store.isClosed());
    Thread.sleep(100); // close is now waiting for the compaction's lock
    hold.release();
    compaction.join(30_000);
    closer.join(30_000);
    assertFalse(compaction.isAlive());
    assertFalse(closer.isAlive());
    try (FileTokenStore reopened = open(Disk.system())) {
      SessionRecord after = reopened.findSession(issued.id()).orElseThrow();
      assertEquals(used, after.session().lastUsedAt(),
          "the use applied in memory before close is written by close");
      assertEquals(used.plus(Duration.ofHours(2)), after.expiresAt());
    }
  }

  /** Same root cause without the swap: a purge that starts after close began drains the uses. */
  @Test
  void aPurgeRefusedByAClosingStore_doesNotTakeTheUsesCloseMustWrite() throws Exception {
    FaultyDisk disk = new FaultyDisk();
    Instant used = T0.plusSeconds(600);
    FileTokenStore store = open(disk);
    Issued issued = Issued.create(store, "alice", Duration.ofHours(1));
    FaultyDisk.Hold hold = disk.holdNextForce("snapshot-");
    Thread compaction = compactionHeldInItsSnapshot(store, hold);
    store.touch(issued.id(), used, used.plus(Duration.ofHours(2)));
    Thread closer = new Thread(store::close);
    closer.start();
    while (!store.isClosed()) {
      Thread.onSpinWait();
    }
    try {
      store.purgeExpired(T0);
    } catch (IllegalStateException expected) {
      // the store is closing: refused
    }
    hold.release();
    compaction.join(30_000);
    closer.join(30_000);
    try (FileTokenStore reopened = open(Disk.system())) {
      assertEquals(used, reopened.findSession(issued.id()).orElseThrow().session().lastUsedAt(),
          "the use applied in memory before close is written by close");
    }
  }

  /** Starts a compaction and returns once it has rotated and is parked in its snapshot's fsync. */
  private static Thread compactionHeldInItsSnapshot(FileTokenStore store, FaultyDisk.Hold hold)
      throws InterruptedException {
    Thread compaction = new Thread(() -> {
      try {
        store.compact();
      } catch (RuntimeException ignored) {
        // whatever the compaction says, the close must write the use
      }
    });
    compaction.start();
    hold.awaitHeld();
    return compaction;
  }
}
