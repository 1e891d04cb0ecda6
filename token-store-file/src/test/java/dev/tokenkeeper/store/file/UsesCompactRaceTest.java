package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compactions started by the touch timer (a log grown by uses) racing creates, revokes, purges,
 * explicit compactions and close: every acknowledged call and every use written survives a
 * reopen, a logout stays final, and close neither hangs nor throws.
 */
class UsesCompactRaceTest {

  private static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);

  @TempDir
  Path dir;

  private FileTokenStore open(Path at, long threshold) {
    return FileTokenStore.builder().directory(at).clock(CLOCK).durability(Durability.SYNC)
        .compactionThreshold(threshold).touchPersistInterval(Duration.ofMillis(1)).build();
  }

  private static void touch(FileTokenStore store, Issued issued, int second) {
    Instant used = T0.plusSeconds(second);
    store.touch(issued.id(), used, used.plusSeconds(3600));
  }

  @Test
  void usesCompactions_racingCreatesRevokesPurgesCompactsAndClose_loseNothingAcknowledged()
      throws Exception {
    long seed = TestSeed.of("UsesCompactRaceTest");
    List<Issued> created = Collections.synchronizedList(new ArrayList<>());
    List<Issued> revoked = Collections.synchronizedList(new ArrayList<>());
    Map<Issued, Integer> lastTouch = new ConcurrentHashMap<>();
    Map<Issued, SessionRecord> before = new ConcurrentHashMap<>();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    long compactions;
    FileTokenStore store = open(dir, 2_000);
    try {
      AtomicBoolean writing = new AtomicBoolean(true);
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        Random choices = new Random(seed + w);
        String subject = "user" + w;
        writers.add(new Thread(() -> {
          List<Issued> mine = new ArrayList<>();
          try {
            for (int i = 0; i < 400; i++) {
              Issued.createOrRevoke(store, subject, choices, mine, T0, created, revoked);
            }
          } catch (Throwable t) {
            failed.compareAndSet(null, t);
          }
        }));
      }
      Thread toucher = new Thread(() -> {
        try {
          for (int second = 1; writing.get(); second++) {
            List<Issued> now;
            synchronized (created) {
              now = new ArrayList<>(created);
            }
            for (Issued issued : now) {
              touch(store, issued, second);
              lastTouch.put(issued, second);
            }
          }
        } catch (Throwable t) {
          failed.compareAndSet(null, t);
        }
      });
      Thread admin = new Thread(() -> {
        try {
          while (writing.get()) {
            store.purgeExpired(T0);
            store.compact();
          }
        } catch (Throwable t) {
          failed.compareAndSet(null, t);
        }
      });
      writers.forEach(Thread::start);
      toucher.start();
      admin.start();
      for (Thread writer : writers) {
        writer.join(TimeUnit.MINUTES.toMillis(2));
      }
      writing.set(false);
      toucher.join(TimeUnit.MINUTES.toMillis(1));
      admin.join(TimeUnit.MINUTES.toMillis(1));
      assertEquals(null, failed.get(), "a thread failed, " + TestSeed.replay(seed));
      for (Issued issued : created) {
        before.put(issued, issued.in(store).orElseThrow());
      }
      compactions = store.stats().compactions();
      assertFalse(store.isFailed());
    } finally {
      // Closed at once: a flush and the compaction it starts may be under way.
      store.close();
    }
    System.out.println("compactions: " + compactions);
    assertTrue(compactions > 0, "no compaction ran");
    try (FileTokenStore reopened = open(dir, 1L << 30)) {
      for (Issued issued : created) {
        SessionRecord now = issued.in(reopened).orElseThrow(
            () -> new AssertionError("lost " + issued.id() + ", " + TestSeed.replay(seed)));
        SessionRecord was = before.get(issued);
        assertEquals(was.isRevoked(), now.isRevoked(), issued.id() + " revoked?");
        if (!was.isRevoked()) {
          assertEquals(was, now, "live session as before close, " + TestSeed.replay(seed));
        }
      }
      for (Issued issued : revoked) {
        assertTrue(issued.isRevokedIn(reopened),
            "logout undone: " + issued.id() + ", " + TestSeed.replay(seed));
      }
    }
  }

  /**
   * The touch timer's compaction is parked in its snapshot's fsync (after the rotation); a logout
   * then, a use of the revoked session flushed after it, and a close waiting for the compaction.
   */
  @Test
  void logout_whileUsesCompactionRuns_staysFinal_andCloseWaitsForIt() throws Exception {
    FaultyDisk disk = new FaultyDisk();
    List<Issued> sessions = new ArrayList<>();
    FileTokenStore store = FileTokenStore.builder().directory(dir).clock(CLOCK)
        .disk(disk).compactionThreshold(8_000).touchPersistInterval(Duration.ofMillis(2))
        .build();
    Thread closer;
    AtomicReference<Throwable> closeFailed = new AtomicReference<>();
    FaultyDisk.Hold hold = null;
    try {
      for (int i = 0; i < 60; i++) {
        sessions.add(Issued.create(store, "user" + i));
      }
      store.compact();
      long before = store.stats().compactions();
      hold = disk.holdNextForce("snapshot");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      int second = 1;
      // Uses alone until the timer's compaction parks in its snapshot's fsync.
      while (!isParked(hold) && System.nanoTime() < deadline) {
        for (Issued issued : sessions) {
          touch(store, issued, second);
        }
        second++;
        Thread.sleep(5);
      }
      hold.awaitHeld();
      assertEquals(before, store.stats().compactions(), "the compaction is still running");
      Issued victim = sessions.get(7);
      assertTrue(victim.revoke(store, T0.plusSeconds(second)), "revoked while compacting");
      // A use of the revoked session, and others', flushed after the logout.
      for (int more = 0; more < 3; more++, second++) {
        for (Issued issued : sessions) {
          touch(store, issued, second);
        }
        waitForFlush(store);
      }
      assertTrue(victim.isRevokedIn(store));
      closer = new Thread(() -> {
        try {
          store.close();
        } catch (Throwable t) {
          closeFailed.set(t);
        }
      });
      closer.start();
      Thread.sleep(50);
      assertTrue(closer.isAlive(), "close waits for the running compaction");
    } catch (Throwable t) {
      if (hold != null) {
        hold.release();
      }
      throw t;
    }
    hold.release();
    closer.join(TimeUnit.SECONDS.toMillis(30));
    assertFalse(closer.isAlive(), "close hung");
    assertEquals(null, closeFailed.get(), "close threw");
    assertFalse(store.isFailed());
    try (FileTokenStore reopened = open(dir, 1L << 30)) {
      assertTrue(sessions.get(7).isRevokedIn(reopened), "logout undone after reopen");
      for (int i = 0; i < sessions.size(); i++) {
        if (i != 7) {
          SessionRecord session = sessions.get(i).in(reopened).orElseThrow();
          assertFalse(session.isRevoked());
        }
      }
    }
  }

  /** Whether the hold has parked a force, without waiting. */
  private static boolean isParked(FaultyDisk.Hold hold) {
    return hold.thread() != null;
  }

  private static void waitForFlush(FileTokenStore store) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (store.stats().touchBacklog() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    assertEquals(0, store.stats().touchBacklog(), "uses flushed");
  }

  /**
   * Close at seeded moments while the touch timer keeps starting compactions and another thread
   * asks for explicit ones: close returns, throws nothing, and the directory opens with every
   * session acknowledged.
   */
  @Test
  void close_whileUsesCompactionsQueuedOrRunning_returnsAndLeavesAnOpenableStore()
      throws Exception {
    long seed = TestSeed.of("UsesCompactRaceTest.close");
    Random random = new Random(seed);
    List<Issued> sessions = new ArrayList<>();
    long byUses = 0;
    for (int round = 0; round < 25; round++) {
      FileTokenStore store = open(dir, 1_500);
      List<Issued> live = new ArrayList<>();
      for (Issued issued : sessions) {
        if (issued.in(store).isEmpty()) {
          throw new AssertionError("round " + round + " lost " + issued.id() + ", "
              + TestSeed.replay(seed));
        }
      }
      for (int i = 0; i < 10; i++) {
        Issued issued = Issued.create(store, "r" + round);
        sessions.add(issued);
      }
      live.addAll(sessions);
      AtomicReference<Throwable> failed = new AtomicReference<>();
      int base = round * 100_000;
      Thread toucher = new Thread(() -> {
        for (int second = base + 1; ; second++) {
          try {
            for (Issued issued : live) {
              touch(store, issued, second);
            }
          } catch (IllegalStateException closed) {
            return;
          } catch (Throwable t) {
            failed.compareAndSet(null, t);
            return;
          }
        }
      });
      Thread compacter = new Thread(() -> {
        while (true) {
          try {
            store.compact();
          } catch (IllegalStateException closed) {
            if (!store.isClosed()) {
              failed.compareAndSet(null, closed);
            }
            return;
          } catch (Throwable t) {
            failed.compareAndSet(null, t);
            return;
          }
        }
      });
      toucher.start();
      boolean explicit = random.nextBoolean();
      if (explicit) {
        compacter.start();
      }
      Thread.sleep(random.nextInt(40));
      Thread closer = new Thread(() -> {
        try {
          store.close();
        } catch (Throwable t) {
          failed.compareAndSet(null, t);
        }
      });
      closer.start();
      closer.join(TimeUnit.SECONDS.toMillis(30));
      assertFalse(closer.isAlive(), "close hung in round " + round + ", "
          + TestSeed.replay(seed));
      toucher.join(TimeUnit.SECONDS.toMillis(30));
      compacter.join(TimeUnit.SECONDS.toMillis(30));
      assertEquals(null, failed.get(), "round " + round + ", " + TestSeed.replay(seed));
      assertFalse(store.isFailed());
      if (!explicit) {
        byUses += store.stats().compactions();
      }
    }
    System.out.println("compactions started by uses alone: " + byUses);
    assertTrue(byUses > 0, "no compaction started by uses, " + TestSeed.replay(seed));
    try (FileTokenStore reopened = open(dir, 1L << 30)) {
      for (Issued issued : sessions) {
        assertTrue(issued.in(reopened).isPresent(), "lost " + issued.id());
      }
    }
  }
}
