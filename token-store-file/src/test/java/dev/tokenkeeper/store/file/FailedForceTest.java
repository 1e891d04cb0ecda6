package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.nio.file.Path;
import java.util.Arrays;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader's fsync fails while others wait behind it (the interleaving a storage review called
 * A1): a compaction, a close, a third writer. Linux marks the pages clean after a failed fsync, so
 * a second fsync of the same file returns 0 for bytes that are gone; no path may force again, and
 * nothing waiting may be told its write is durable. {@link PowerCutDisk} loses what the failed
 * fsync covered, as the kernel does.
 */
class FailedForceTest {

  @TempDir
  Path tmp;

  private PowerCutDisk disk;
  private Path dir;

  private FileTokenStore open() {
    return FileTokenStore.builder().directory(dir).disk(disk)
        .touchPersistInterval(Duration.ofHours(1)).build();
  }

  private FileTokenStore start() {
    dir = tmp.resolve("store");
    disk = new PowerCutDisk(dir, 7, EnumSet.of(PowerCutDisk.Tail.PAGES));
    return open();
  }

  /** Runs {@code call} on a thread of its own and waits (bounded) until it blocks. */
  private static <T> Future<T> blocked(String name, Supplier<T> call) throws InterruptedException {
    CompletableFuture<T> result = new CompletableFuture<>();
    AtomicReference<Thread> thread = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        result.complete(call.get());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    }, name);
    thread.set(t);
    t.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING
        && !result.isDone()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + " never blocked");
      }
      Thread.sleep(1);
    }
    return result;
  }

  /**
   * Waits (bounded) until the store's compaction thread, which {@code compact()} hands its work
   * to, waits in the group commit behind the held force.
   */
  private static void awaitCompactionQueued() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      for (Map.Entry<Thread, StackTraceElement[]> thread : Thread.getAllStackTraces().entrySet()) {
        if (thread.getKey().getName().endsWith("-compaction")
            && thread.getKey().getState() == Thread.State.WAITING
            && Arrays.stream(thread.getValue())
                .anyMatch(frame -> frame.getClassName().equals(GroupCommit.class.getName()))) {
          return;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the compaction never queued behind the held force");
      }
      Thread.sleep(1);
    }
  }

  private static Throwable failure(Future<?> future) throws InterruptedException {
    try {
      Object value = future.get(30, TimeUnit.SECONDS);
      throw new AssertionError("acknowledged after a failed fsync: " + value);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("never returned", e);
    }
  }

  @Test
  void compactAndWriter_waitingBehindALeaderWhoseForceFails_failAndNothingIsForcedAgain()
      throws Exception {
    FileTokenStore store = start();
    Issued kept = Issued.create(store, "alice");
    Issued target = Issued.create(store, "bob");
    PowerCutDisk.Hold hold = disk.holdNextForce();
    Future<Boolean> leader = blocked("leader", () -> target.revoke(store, T0.plusSeconds(1)));
    hold.awaitHeld();
    Future<Issued> writer = blocked("writer", () -> Issued.create(store, "carol"));
    Future<Boolean> compaction = blocked("compaction", () -> {
      store.compact();
      return true;
    });
    awaitCompactionQueued();
    hold.releaseFailing();

    assertInstanceOf(StoreUnavailableException.class, failure(leader));
    assertInstanceOf(StoreUnavailableException.class, failure(writer));
    assertInstanceOf(StoreUnavailableException.class, failure(compaction));
    assertEquals(0, disk.forcesAfterFailure(), "a file was forced again after its force failed");
    store.abandon();
    disk.powerCut();
    try (FileTokenStore reopened = open()) {
      assertEquals(kept.session(), kept.in(reopened).orElseThrow());
    }
  }

  @Test
  void close_waitingBehindALeaderWhoseForceFails_reportsItAndNothingIsForcedAgain()
      throws Exception {
    FileTokenStore store = start();
    Issued kept = Issued.create(store, "alice");
    Issued target = Issued.create(store, "bob");
    PowerCutDisk.Hold hold = disk.holdNextForce();
    Future<Boolean> leader = blocked("leader", () -> target.revoke(store, T0.plusSeconds(1)));
    hold.awaitHeld();
    Future<Boolean> closing = blocked("close", () -> {
      store.close();
      return true;
    });
    hold.releaseFailing();

    assertInstanceOf(StoreUnavailableException.class, failure(leader));
    assertInstanceOf(StoreUnavailableException.class, failure(closing));
    assertEquals(0, disk.forcesAfterFailure(), "a file was forced again after its force failed");
    disk.powerCut();
    try (FileTokenStore reopened = open()) {
      assertEquals(kept.session(), kept.in(reopened).orElseThrow());
    }
  }

  @Test
  void revoke_queuedBehindALeaderWhoseForceFails_isNeverAcknowledged() throws Exception {
    FileTokenStore store = start();
    List<Issued> sessions = List.of(Issued.create(store, "alice"), Issued.create(store, "bob"));
    PowerCutDisk.Hold hold = disk.holdNextForce();
    Future<Boolean> leader =
        blocked("leader", () -> sessions.get(0).revoke(store, T0.plusSeconds(1)));
    hold.awaitHeld();
    Future<Boolean> queued =
        blocked("queued", () -> sessions.get(1).revoke(store, T0.plusSeconds(2)));
    hold.releaseFailing();

    assertInstanceOf(StoreUnavailableException.class, failure(leader));
    assertInstanceOf(StoreUnavailableException.class, failure(queued));
    assertFalse(disk.forcesAfterFailure() > 0);
    store.abandon();
    // Reopened before any power cut: the page cache still shows both revokes. Whatever is
    // served now must survive the cut that follows.
    boolean[] served = new boolean[2];
    try (FileTokenStore reopened = open()) {
      for (int i = 0; i < 2; i++) {
        served[i] = sessions.get(i).isRevokedIn(reopened);
      }
      reopened.abandon();
    }
    disk.powerCut();
    try (FileTokenStore afterCut = open()) {
      for (int i = 0; i < 2; i++) {
        if (served[i]) {
          assertTrue(sessions.get(i).isRevokedIn(afterCut), "served revoked, then undone: " + i);
        }
      }
    }
  }
}
