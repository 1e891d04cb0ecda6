package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An attack on lookupsOnHeap at the store: revokes, uses, creates, purges and lookups race
 * the move after open and after each of several compactions; then reopen. And the move's thread
 * must end on close and on retire.
 */
class LookupsOnHeapStoreAttackTest {

  private static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");
  private static final int SESSIONS = SlotArena.CHUNK_SLOTS + 20_000;

  @TempDir
  Path dir;

  private final MutableClock clock = new MutableClock(T0);

  static SessionId idOf(int n) {
    return SessionId.of(n, 7);
  }

  static boolean expiring(int n) {
    return n % 9 == 0;
  }

  private void fill(Path store) {
    try (FileTokenStore filled = FileTokenStore.builder().directory(store).clock(clock)
        .durability(Durability.NONE).compactionThreshold(Long.MAX_VALUE).build()) {
      for (int n = 0; n < SESSIONS; n++) {
        filled.create(SessionRecord.of(new Session(idOf(n), "user" + n % 5_000,
            n % 3 == 0 ? null : "ua" + n % 17, T0, T0,
            T0.plusSeconds(expiring(n) ? 60 : 36_000)), null, null),
            List.of(TokenRecord.of(RandomSessions.numbered(n), idOf(n))));
      }
      filled.compact();
    }
  }

  private static long movingThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().contains("tokenkeeper-uses") && t.isAlive()).count();
  }

  @Test
  void changesRacingMovesAfterOpenAndCompactions_surviveReopen() throws Exception {
    attack("store", 4, 150);
  }

  /**
   * Compactions back to back, or a few milliseconds apart: each retires the index whose move is
   * under way (and starts the next one's), while writers and a reader go on.
   */
  @Test
  void compactionsBackToBack_retireEachMoveMidway_loseNothing() throws Exception {
    attack("back-to-back", 8, 0);
    attack("a-few-ms", 8, 6);
  }

  private void attack(String name, int compactions, int pauseMs) throws Exception {
    clock.set(T0);
    Path store = dir.resolve(name);
    fill(store);
    ConcurrentHashMap<Integer, Boolean> revoked = new ConcurrentHashMap<>();
    ConcurrentHashMap<Integer, Boolean> used = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<Integer> created = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> failed = new ConcurrentLinkedQueue<>();
    AtomicBoolean purged = new AtomicBoolean();
    Instant usedAt = T0.plusSeconds(30);
    Instant extended = T0.plusSeconds(72_000);
    try (FileTokenStore moved = FileTokenStore.builder().directory(store).clock(clock)
        .durability(Durability.NONE).compactionThreshold(Long.MAX_VALUE).lookupsOnHeap(true)
        .build()) {
      AtomicBoolean running = new AtomicBoolean(true);
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      threads.add(new Thread(() -> {
        SplittableRandom random = new SplittableRandom(1);
        try {
          start.await();
          while (running.get()) {
            int n = random.nextInt(SESSIONS);
            if (expiring(n)) {
              continue;
            }
            if (n % 2 == 0) {
              if (moved.revokeSession(idOf(n), T0.plusSeconds(1))) {
                revoked.put(n, true);
              }
            } else {
              moved.touch(idOf(n), usedAt, extended);
              used.put(n, true);
            }
          }
        } catch (Throwable e) {
          failed.add(e);
        }
      }, "writer"));
      threads.add(new Thread(() -> {
        SplittableRandom random = new SplittableRandom(2);
        try {
          start.await();
          while (running.get()) {
            int n = random.nextInt(SESSIONS);
            boolean wasRevoked = revoked.containsKey(n);
            Optional<TokenEntry> found = moved.find(RandomSessions.numbered(n));
            boolean mayBeGone = expiring(n) && purged.get();
            if (found.isEmpty()) {
              if (!mayBeGone) {
                throw new AssertionError("lost " + n);
              }
              continue;
            }
            SessionRecord s = found.get().session();
            assertEquals(idOf(n), s.id());
            assertEquals("user" + n % 5_000, s.subject());
            assertEquals(n % 3 == 0 ? null : "ua" + n % 17, s.session().label());
            if (wasRevoked && !s.isRevoked()) {
              throw new AssertionError("revoked " + n + " reads live again");
            }
          }
        } catch (Throwable e) {
          failed.add(e);
        }
      }, "reader"));
      for (Thread t : threads) {
        t.start();
      }
      start.countDown();
      try {
        SplittableRandom pauses = new SplittableRandom(compactions);
        for (int compaction = 0; compaction < compactions; compaction++) {
          for (int c = 0; c < 500; c++) {
            int k = compaction * 500 + c;
            SessionId id = SessionId.of(-1 - k, 9);
            moved.create(SessionRecord.of(new Session(id, "late" + k % 30, null, T0, T0,
                T0.plusSeconds(36_000)), null, null),
                List.of(TokenRecord.of(RandomSessions.numbered(10_000_000 + k), id)));
            created.add(k);
          }
          if (compaction == 1) {
            purged.set(true);
            clock.set(T0.plusSeconds(120));
            moved.purgeExpired(clock.instant());
          }
          moved.compact();
          // Let the new index's parts move (some or all) while the writers go on.
          if (pauseMs > 0) {
            Thread.sleep(pauses.nextInt(pauseMs + 1));
          }
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (moved.mappedLookupParts() > 0 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
      } finally {
        running.set(false);
        for (Thread t : threads) {
          t.join();
        }
      }
      assertTrue(failed.isEmpty(), () -> "failed: " + failed.peek());
      assertEquals(compactions, moved.served());
      assertEquals(0, moved.mappedLookupParts());
      verify(moved, revoked, used, created, usedAt, extended);
    }
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (movingThreads() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(0, movingThreads(), "the move's threads end once the store closed");
    try (FileTokenStore reopened = FileTokenStore.builder().directory(store).clock(clock)
        .build()) {
      verify(reopened, revoked, used, created, usedAt, extended);
    }
  }

  private static void verify(FileTokenStore store, ConcurrentHashMap<Integer, Boolean> revoked,
      ConcurrentHashMap<Integer, Boolean> used, ConcurrentLinkedQueue<Integer> created,
      Instant usedAt, Instant extended) {
    for (int n = 0; n < SESSIONS; n++) {
      Optional<TokenEntry> found = store.find(RandomSessions.numbered(n));
      if (expiring(n)) {
        assertTrue(found.isEmpty(), "purged " + n);
        continue;
      }
      int at = n;
      SessionRecord s = found.orElseThrow(() -> new AssertionError("lost " + at)).session();
      assertEquals(idOf(n), s.id());
      assertEquals(s, store.findSession(idOf(n)).orElseThrow());
      if (revoked.containsKey(n)) {
        assertTrue(s.isRevoked(), "revoke of " + n + " lost");
      } else if (used.containsKey(n)) {
        assertFalse(s.session().lastUsedAt().isBefore(usedAt), "use of " + n + " lost");
        assertFalse(s.expiresAt().isBefore(extended), "expiry of " + n + " lost");
      }
    }
    for (int k : created) {
      assertEquals(SessionId.of(-1 - k, 9),
          store.find(RandomSessions.numbered(10_000_000 + k)).orElseThrow().session().id());
    }
  }

  /** Opening and closing at once, and compacting: no move thread outlives its index. */
  @Test
  void theMoveThread_endsOnCloseAndRetire() throws Exception {
    Path store = dir.resolve("store");
    fill(store);
    for (int round = 0; round < 10; round++) {
      FileTokenStore opened = FileTokenStore.builder().directory(store).clock(clock)
          .compactionThreshold(Long.MAX_VALUE).lookupsOnHeap(true).build();
      if (round % 2 == 1) {
        opened.compact();
      }
      opened.close();
      int after = opened.mappedLookupParts();
      Thread.sleep(30);
      assertEquals(after, opened.mappedLookupParts(), "moved after close, round " + round);
    }
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (movingThreads() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(0, movingThreads());
  }
}
