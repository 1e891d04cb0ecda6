package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * After an fsync that several writers shared, the next head gathers: it waits a bounded moment
 * for the writers just released to hand in their next records. A writer that comes alone must
 * not be held for writers that never come, and an interrupted one stops gathering but still
 * writes, forces and keeps its interrupt. A head that gathered without bound would hang: the
 * timeout runs each test on a thread of its own, so that such a hang fails the test.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GroupCommitGatherTest {

  private static final int SHARED = 6;

  @TempDir
  Path tmp;

  private final FaultyDisk disk = new FaultyDisk();

  private FileTokenStore open() {
    return FileTokenStore.builder().directory(tmp.resolve("store")).disk(disk)
        .durability(Durability.SYNC).touchPersistInterval(Duration.ofHours(1)).build();
  }

  /** Holds one create's fsync until {@value #SHARED} more queue behind it, then lets it go. */
  private void shareOneFsync(FileTokenStore store) throws Exception {
    FaultyDisk.Hold hold = disk.holdNextForce("log-");
    List<CompletableFuture<Issued>> writers = new ArrayList<>();
    writers.add(CompletableFuture.supplyAsync(() -> Issued.create(store, "leader")));
    hold.awaitHeld();
    for (int i = 0; i < SHARED; i++) {
      String subject = "writer-" + i;
      writers.add(CompletableFuture.supplyAsync(() -> Issued.create(store, subject)));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (queuedWriters() < SHARED) {
      assertTrue(System.nanoTime() < deadline, "the writers never queued behind the held force");
      Thread.sleep(1);
    }
    FileStoreStats before = store.stats();
    hold.release();
    for (CompletableFuture<Issued> writer : writers) {
      writer.get(30, TimeUnit.SECONDS);
    }
    FileStoreStats after = store.stats();
    assertTrue(after.recordsSynced() - before.recordsSynced() >= 4,
        "the writers queued behind the held force did not share its fsync");
  }

  private static long queuedWriters() {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(thread -> thread.getKey().getState() == Thread.State.WAITING)
        .filter(thread -> java.util.Arrays.stream(thread.getValue()).anyMatch(frame ->
            frame.getClassName().equals(GroupCommit.class.getName() + "$Writer")))
        .count();
  }

  @Test
  void aWriterComingAloneAfterASharedFsync_isForcedWithoutWaitingForWritersThatNeverCome()
      throws Exception {
    try (FileTokenStore store = open()) {
      shareOneFsync(store);
      FileStoreStats before = store.stats();

      Issued alone = CompletableFuture.supplyAsync(() -> Issued.create(store, "alone"))
          .get(30, TimeUnit.SECONDS);

      FileStoreStats after = store.stats();
      assertEquals(1, after.fsyncs() - before.fsyncs());
      assertEquals(1, after.recordsSynced() - before.recordsSynced());
      assertEquals(alone.session(), alone.in(store).orElseThrow());
    }
  }

  @Test
  void anInterruptedWriterAfterASharedFsync_stopsGatheringButWritesForcesAndStaysInterrupted()
      throws Exception {
    Issued alone;
    try (FileTokenStore store = open()) {
      shareOneFsync(store);
      FileStoreStats before = store.stats();
      int forces = disk.forces();

      CompletableFuture<Boolean> stillInterrupted = new CompletableFuture<>();
      Issued[] made = new Issued[1];
      Thread writer = new Thread(() -> {
        Thread.currentThread().interrupt();
        try {
          made[0] = Issued.create(store, "interrupted");
          stillInterrupted.complete(Thread.currentThread().isInterrupted());
        } catch (Throwable e) {
          stillInterrupted.completeExceptionally(e);
        }
      });
      writer.start();

      assertTrue(stillInterrupted.get(30, TimeUnit.SECONDS), "the interrupt was swallowed");
      writer.join();
      alone = made[0];
      assertEquals(forces + 1, disk.forces(), "the record was not forced once");
      assertEquals(1, store.stats().recordsSynced() - before.recordsSynced());
    }
    try (FileTokenStore reopened = open()) {
      assertEquals(alone.session(), alone.in(reopened).orElseThrow());
    }
  }
}
