package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An attack on lookupsOnHeap: every kind of change (revoke, revokeAll, touchIfLive, replay's
 * touch, create of plain and non-plain sessions, purge that drops and moves texts, trim, expect)
 * and lock-free lookups race {@link CompactLiveIndex#moveLookupsToHeap} on a mapped index whose
 * digest table has no marks yet (as after open). Readers check every answer: right session, right
 * subject (the marks), right label, revoked once a revoke was acknowledged.
 */
class LookupsOnHeapAttackTest {

  private static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");
  private static final int SESSIONS = 2 * SlotArena.CHUNK_SLOTS + 5_000;
  private static final Instant SHORT = T0.plusSeconds(60);
  private static final Instant LONG = T0.plusSeconds(3_600);
  private static final Instant PURGE_AT = T0.plusSeconds(120);

  @TempDir
  Path dir;

  private final List<SessionId> ids = new ArrayList<>();
  private final List<TokenHash> hashes = new ArrayList<>();

  static boolean expiring(int n) {
    return n % 5 == 0;
  }

  static String subject(int n) {
    // Many subjects only expiring sessions have: the purge drops more than half the pool's
    // bytes, so the pool moves and every mark is set anew.
    return expiring(n) ? "gone-subject-" + (n % 12_000) : "user" + (n % 1_000);
  }

  static String label(int n) {
    return n % 4 == 0 ? null : "agent/" + (n % 40);
  }

  private CompactLiveIndex mapped(String name, long seed) throws IOException {
    return mapped(name, seed, SESSIONS);
  }

  /** An index of {@code sessions} drawn from {@code seed}, read back mapped from an image. */
  private CompactLiveIndex mapped(String name, long seed, int sessions) throws IOException {
    ids.clear();
    hashes.clear();
    SplittableRandom random = new SplittableRandom(seed);
    LiveIndex index = LiveIndex.create();
    for (int n = 0; n < sessions; n++) {
      SessionId id = SessionId.of(random.nextLong(), random.nextLong());
      TokenHash hash = RandomSessions.hash(random);
      index.create(SessionRecord.of(new Session(id, subject(n), label(n), T0, T0,
          expiring(n) ? SHORT : LONG), null, null), List.of(TokenRecord.of(hash, id)));
      ids.add(id);
      hashes.add(hash);
    }
    return ImageRoundTrip.mapped(index, dir.resolve(name));
  }

  @Test
  void everyOperationRacingTheMove_keepsEveryChange_andEveryLookupRight() throws Exception {
    for (int round = 0; round < 8; round++) {
      CompactLiveIndex index = mapped("attack" + round, 100 + round);
      assertEquals(4, index.mappedLookupParts());
      attackRound(index, round);
    }
  }

  private void attackRound(CompactLiveIndex index, int round) throws Exception {
    ConcurrentHashMap<Integer, Boolean> revoked = new ConcurrentHashMap<>();
    ConcurrentHashMap<String, Boolean> revokedSubjects = new ConcurrentHashMap<>();
    ConcurrentHashMap<Integer, Boolean> usedAcked = new ConcurrentHashMap<>();
    ConcurrentHashMap<Integer, Boolean> replayUsed = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<Integer> createdPlain = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Integer> createdPaired = new ConcurrentLinkedQueue<>();
    AtomicBoolean purgeStarted = new AtomicBoolean();
    AtomicBoolean moving = new AtomicBoolean(true);
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger lookups = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    ConcurrentLinkedQueue<Throwable> failed = new ConcurrentLinkedQueue<>();
    Instant used = T0.plusSeconds(30);
    Instant extended = T0.plusSeconds(7_200);
    Instant replayedUse = T0.plusSeconds(40);
    Instant replayedExpiry = T0.plusSeconds(7_300);
    SplittableRandom seeds = new SplittableRandom(round);

    List<Thread> threads = new ArrayList<>();
    long moverSeed = seeds.nextLong();
    threads.add(new Thread(() -> {
      SplittableRandom random = new SplittableRandom(moverSeed);
      try {
        start.await();
        // The whole move at a random point of the writers' work (purge, trim, expect).
        LockSupport.parkNanos(random.nextLong(4_000_000));
        assertTrue(index.moveLookupsToHeap(Long.MAX_VALUE, 0));
      } catch (Throwable e) {
        failed.add(e);
      } finally {
        moving.set(false);
      }
    }, "mover"));
    long revokerSeed = seeds.nextLong();
    threads.add(new Thread(() -> {
      SplittableRandom random = new SplittableRandom(revokerSeed);
      try {
        start.await();
        while (moving.get() || revoked.size() < 3_000) {
          int n = random.nextInt(SESSIONS);
          if (expiring(n)) {
            continue;
          }
          if (n % 97 == 3) {
            String s = subject(n);
            index.revokeAll(s, T0.plusSeconds(1));
            revokedSubjects.put(s, true);
          } else if (index.revokeSession(ids.get(n), T0.plusSeconds(1))) {
            revoked.put(n, true);
          }
        }
      } catch (Throwable e) {
        failed.add(e);
      }
    }, "revoker"));
    long toucherSeed = seeds.nextLong();
    threads.add(new Thread(() -> {
      SplittableRandom random = new SplittableRandom(toucherSeed);
      try {
        start.await();
        int done = 0;
        while (moving.get() || done < 6_000) {
          int n = random.nextInt(SESSIONS);
          if (expiring(n)) {
            continue;
          }
          done++;
          if (n % 2 == 0) {
            index.touchIfLive(ids.get(n), used, extended);
            usedAcked.put(n, true);
          } else {
            index.touch(ids.get(n), replayedUse, replayedExpiry);
            replayUsed.put(n, true);
          }
        }
      } catch (Throwable e) {
        failed.add(e);
      }
    }, "toucher"));
    for (int r = 0; r < 2; r++) {
      long readerSeed = seeds.nextLong();
      threads.add(new Thread(() -> {
        SplittableRandom random = new SplittableRandom(readerSeed);
        try {
          start.await();
          while (writing.get()) {
            int n = random.nextInt(SESSIONS);
            boolean revokedBefore = revoked.containsKey(n)
                || revokedSubjects.containsKey(subject(n));
            Optional<TokenEntry> found = index.find(hashes.get(n));
            // Read after the lookup: the flag is set before the purge starts.
            boolean mayBeGone = expiring(n) && purgeStarted.get();
            lookups.incrementAndGet();
            if (found.isEmpty()) {
              if (!mayBeGone) {
                throw new AssertionError("session " + n + " not found");
              }
              continue;
            }
            SessionRecord session = found.get().session();
            check(n, session);
            if (revokedBefore && !session.isRevoked()) {
              throw new AssertionError("revoked session " + n + " reads live again");
            }
            Integer c = createdPlain.peek();
            if (c != null) {
              TokenEntry entry = index.find(RandomSessions.numbered(c)).orElseThrow(
                  () -> new AssertionError("created session " + c + " not found"));
              assertEquals(SessionId.of(-1 - c, 42), entry.session().id());
              assertEquals("late" + c % 300, entry.session().subject());
            }
          }
        } catch (Throwable e) {
          failed.add(e);
        }
      }, "reader" + r));
    }
    for (Thread thread : threads) {
      thread.start();
    }
    start.countDown();
    SplittableRandom random = new SplittableRandom(seeds.nextLong());
    int step = 0;
    try {
      // Until the move is over and the readers have checked a thousand answers: on a loaded
      // machine the move can be over before they have.
      while (moving.get() || step < 3_000 || lookups.get() < 1_000) {
        step++;
        int c = step;
        if (c % 5 == 0) {
          // Not plain: two tokens, kept as records.
          SessionId id = SessionId.of(-1_000_000 - c, 43);
          index.create(SessionRecord.of(new Session(id, "pair" + c % 50, "agent/x", T0, T0,
              LONG), null, null), List.of(
                  TokenRecord.of(RandomSessions.numbered(2_000_000 + 2 * c), id),
                  TokenRecord.of(RandomSessions.numbered(2_000_001 + 2 * c), id)));
          createdPaired.add(c);
        } else {
          SessionId id = SessionId.of(-1 - c, 42);
          index.create(SessionRecord.of(new Session(id, "late" + c % 300, null, T0, T0, LONG),
              null, null), List.of(TokenRecord.of(RandomSessions.numbered(c), id)));
          createdPlain.add(c);
        }
        if (step == 200 + random.nextInt(200) && !purgeStarted.get()) {
          purgeStarted.set(true);
          index.purge(PURGE_AT);
        }
        if (step % 700 == 0) {
          index.trim();
        }
        if (step % 900 == 0) {
          index.expect(5_000, 5_000);
        }
      }
      if (!purgeStarted.get()) {
        purgeStarted.set(true);
        index.purge(PURGE_AT);
      }
    } finally {
      writing.set(false);
      for (Thread thread : threads) {
        thread.join();
      }
    }
    assertTrue(failed.isEmpty(), () -> "round " + round + " failed: " + failed.peek());
    assertEquals(0, index.mappedLookupParts());
    assertTrue(lookups.get() >= 1_000, "the readers checked answers: " + lookups.get());

    LiveIndex read = ImageRoundTrip.of(index);
    for (LiveIndex each : List.of(index, read)) {
      for (int at = 0; at < SESSIONS; at++) {
        int n = at;
        Optional<TokenEntry> found = each.find(hashes.get(n));
        if (expiring(n)) {
          assertTrue(found.isEmpty(), "purged " + n);
          assertTrue(each.findSession(ids.get(n)).isEmpty(), "purged " + n);
          continue;
        }
        SessionRecord session = found.orElseThrow(() -> new AssertionError("lost " + n)).session();
        check(n, session);
        SessionRecord byId = each.findSession(ids.get(n)).orElseThrow();
        assertEquals(session, byId, "find and findSession agree on " + n);
        boolean wasRevoked = revoked.containsKey(n) || revokedSubjects.containsKey(subject(n));
        if (wasRevoked) {
          assertTrue(session.isRevoked(), "revoke of " + n + " lost");
        }
        Session s = session.session();
        if (usedAcked.containsKey(n) && !wasRevoked) {
          assertFalse(s.lastUsedAt().isBefore(used), "use of " + n + " lost");
          assertFalse(s.expiresAt().isBefore(extended), "expiry of " + n + " lost");
        }
        if (replayUsed.containsKey(n) && !wasRevoked) {
          assertFalse(s.lastUsedAt().isBefore(replayedUse), "replayed use of " + n + " lost");
          assertFalse(s.expiresAt().isBefore(replayedExpiry),
              "replayed expiry of " + n + " lost");
        }
      }
      for (int c : createdPlain) {
        SessionRecord session = each.find(RandomSessions.numbered(c)).orElseThrow().session();
        assertEquals(SessionId.of(-1 - c, 42), session.id());
        assertEquals("late" + c % 300, session.subject());
      }
      for (int c : createdPaired) {
        for (int t = 0; t < 2; t++) {
          SessionRecord session = each.find(RandomSessions.numbered(2_000_000 + 2 * c + t))
              .orElseThrow().session();
          assertEquals(SessionId.of(-1_000_000 - c, 43), session.id());
          assertEquals("pair" + c % 50, session.subject());
        }
      }
    }
  }

  /**
   * As after an open that replayed uses: uses pending beside mapped slots, then the store's own
   * thread ({@link CompactLiveIndex#serving}) writes them and moves every part, while revokes and
   * request uses race it and readers check each answer.
   */
  @Test
  void pendingUsesThenTheMove_onTheServingThread_loseNothing() throws Exception {
    for (int round = 0; round < 4; round++) {
      CompactLiveIndex index = mapped("pending" + round, 200 + round);
      Instant replayedUse = T0.plusSeconds(20);
      Instant replayedExpiry = T0.plusSeconds(5_000);
      for (int n = 1; n < SESSIONS; n += 3) {
        index.touch(ids.get(n), replayedUse, replayedExpiry);
      }
      assertTrue(index.pendingUses() > 10_000);
      ConcurrentHashMap<Integer, Boolean> revoked = new ConcurrentHashMap<>();
      ConcurrentHashMap<Integer, Boolean> used = new ConcurrentHashMap<>();
      ConcurrentLinkedQueue<Throwable> failed = new ConcurrentLinkedQueue<>();
      AtomicBoolean running = new AtomicBoolean(true);
      Instant usedAt = T0.plusSeconds(25);
      Instant extended = T0.plusSeconds(9_000);
      long seed = round;
      Thread writer = new Thread(() -> {
        SplittableRandom random = new SplittableRandom(seed);
        try {
          while (running.get()) {
            int n = random.nextInt(SESSIONS);
            if (n % 2 == 0) {
              if (index.revokeSession(ids.get(n), T0.plusSeconds(1))) {
                revoked.put(n, true);
              }
            } else {
              index.touchIfLive(ids.get(n), usedAt, extended);
              used.put(n, true);
            }
          }
        } catch (Throwable e) {
          failed.add(e);
        }
      });
      Thread reader = new Thread(() -> {
        SplittableRandom random = new SplittableRandom(seed + 99);
        try {
          while (running.get()) {
            int n = random.nextInt(SESSIONS);
            boolean wasRevoked = revoked.containsKey(n);
            boolean wasUsed = used.containsKey(n);
            SessionRecord s = index.find(hashes.get(n)).orElseThrow(
                () -> new AssertionError("lost " + n)).session();
            check(n, s);
            if (wasRevoked && !s.isRevoked()) {
              throw new AssertionError("revoked " + n + " reads live again");
            }
            if (n % 3 == 1 && !s.isRevoked()
                && s.session().lastUsedAt().isBefore(replayedUse)) {
              throw new AssertionError("replayed use of " + n + " lost");
            }
            if (wasUsed && !s.isRevoked() && s.session().lastUsedAt().isBefore(usedAt)) {
              throw new AssertionError("use of " + n + " lost");
            }
          }
        } catch (Throwable e) {
          failed.add(e);
        }
      });
      writer.start();
      reader.start();
      List<LiveIndex.HeapCopy> copies = new CopyOnWriteArrayList<>();
      index.serving(true, copies::add);
      long deadline = System.nanoTime() + 20_000_000_000L;
      while ((index.pendingUses() > 0 || index.mappedLookupParts() > 0 || copies.isEmpty())
          && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      Thread.sleep(20);
      running.set(false);
      writer.join();
      reader.join();
      assertTrue(failed.isEmpty(), () -> "failed: " + failed.peek());
      assertEquals(0, index.pendingUses());
      assertEquals(0, index.mappedLookupParts());
      assertEquals(1, copies.size());
      assertTrue(copies.get(0).made(), "reported made");
      LiveIndex read = ImageRoundTrip.of(index);
      for (LiveIndex each : List.of(index, read)) {
        for (int at = 0; at < SESSIONS; at++) {
          int n = at;
          SessionRecord s = each.find(hashes.get(n)).orElseThrow(
              () -> new AssertionError("lost " + n)).session();
          check(n, s);
          if (revoked.containsKey(n)) {
            assertTrue(s.isRevoked(), "revoke of " + n);
          } else {
            if (n % 3 == 1) {
              assertFalse(s.session().lastUsedAt().isBefore(replayedUse), "replayed " + n);
              assertFalse(s.expiresAt().isBefore(replayedExpiry), "replayed expiry " + n);
            }
            if (used.containsKey(n)) {
              assertFalse(s.session().lastUsedAt().isBefore(usedAt), "use of " + n);
              assertFalse(s.expiresAt().isBefore(extended), "expiry of " + n);
            }
          }
        }
      }
    }
  }

  /**
   * The marks across the table's copy: lookups learn marks on a table read from an image (none
   * known) while one thread copies the table to the heap and another purges, which moves the
   * text pool and sets every mark anew. Every lookup's subject must be right, during and after.
   */
  @Test
  void marksLearnedRacingTheTableCopyAndAPurge_stayRight() throws Exception {
    int sessions = 30_000;
    for (int round = 0; round < 25; round++) {
      CompactLiveIndex index = mapped("marks" + round, round, sessions);
      SplittableRandom random = new SplittableRandom(round);
      // One chunk of slots, then the table: the whole move races the lookups and the purge.
      assertEquals(2, index.mappedLookupParts());
      ConcurrentLinkedQueue<Throwable> failed = new ConcurrentLinkedQueue<>();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicBoolean purging = new AtomicBoolean();
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> readers = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        long seed = round * 10L + r;
        readers.add(new Thread(() -> {
          SplittableRandom pick = new SplittableRandom(seed);
          try {
            while (running.get()) {
              int n = pick.nextInt(sessions);
              Optional<TokenEntry> found = index.find(hashes.get(n));
              if (found.isEmpty()) {
                if (!(expiring(n) && purging.get())) {
                  throw new AssertionError("lost " + n);
                }
                continue;
              }
              check(n, found.get().session());
              if (go.getCount() == 1 && pick.nextInt(64) == 0) {
                go.countDown();
              }
            }
          } catch (Throwable e) {
            failed.add(e);
          }
        }));
      }
      for (Thread reader : readers) {
        reader.start();
      }
      go.await();
      long delay = random.nextLong(300_000);
      Thread copier = new Thread(() -> {
        try {
          LockSupport.parkNanos(delay);
          assertTrue(index.moveLookupsToHeap(Long.MAX_VALUE, 0));
        } catch (Throwable e) {
          failed.add(e);
        }
      });
      copier.start();
      LockSupport.parkNanos(random.nextLong(300_000));
      purging.set(true);
      index.purge(PURGE_AT);
      copier.join();
      Thread.sleep(5);
      running.set(false);
      for (Thread reader : readers) {
        reader.join();
      }
      assertTrue(failed.isEmpty(), () -> "failed: " + failed.peek());
      assertEquals(0, index.mappedLookupParts());
      for (int pass = 0; pass < 2; pass++) {
        for (int n = 0; n < sessions; n++) {
          Optional<TokenEntry> found = index.find(hashes.get(n));
          if (expiring(n)) {
            assertTrue(found.isEmpty());
          } else {
            check(n, found.orElseThrow().session());
          }
        }
      }
    }
  }

  /**
   * Changes spaced out (from none to a few milliseconds apart), so that some copies see no change
   * and are switched as made off the monitor, some see one and are made again under it; a
   * snapshot taken now and then while the parts move must hold every change acknowledged before
   * it, as must the index and a reader's every answer.
   */
  @Test
  void sparseChangesAndSnapshotsAroundEachCopy_loseNothing() throws Exception {
    long[] pauses = {0, 20_000, 200_000, 1_000_000, 3_000_000};
    for (int round = 0; round < pauses.length * 2; round++) {
      CompactLiveIndex index = mapped("sparse" + round, 300 + round);
      assertEquals(4, index.mappedLookupParts());
      long pause = pauses[round % pauses.length];
      ConcurrentHashMap<Integer, Boolean> revoked = new ConcurrentHashMap<>();
      ConcurrentHashMap<Integer, Boolean> usedAcked = new ConcurrentHashMap<>();
      ConcurrentLinkedQueue<Integer> created = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Throwable> failed = new ConcurrentLinkedQueue<>();
      AtomicBoolean moving = new AtomicBoolean(true);
      AtomicInteger images = new AtomicInteger();
      Instant used = T0.plusSeconds(33);
      Instant extended = T0.plusSeconds(8_000);
      CountDownLatch start = new CountDownLatch(1);
      long seed = 1_000 + round;
      Thread mover = new Thread(() -> {
        try {
          start.await();
          LockSupport.parkNanos(new SplittableRandom(seed).nextLong(1 + pause * 3));
          assertTrue(index.moveLookupsToHeap(Long.MAX_VALUE, 0));
        } catch (Throwable e) {
          failed.add(e);
        } finally {
          moving.set(false);
        }
      }, "mover");
      Thread writer = new Thread(() -> {
        SplittableRandom random = new SplittableRandom(seed + 1);
        try {
          start.await();
          int k = 0;
          while (moving.get() || k < 200) {
            k++;
            int n = random.nextInt(SESSIONS);
            if (!expiring(n)) {
              switch (k % 4) {
                case 0 -> {
                  if (index.revokeSession(ids.get(n), T0.plusSeconds(1))) {
                    revoked.put(n, true);
                  }
                }
                case 1, 3 -> {
                  index.touchIfLive(ids.get(n), used, extended);
                  usedAcked.put(n, true);
                }
                default -> {
                  SessionId id = SessionId.of(-1 - k, 44);
                  index.create(SessionRecord.of(new Session(id, "sparse" + k % 70, null, T0, T0,
                      LONG), null, null), List.of(TokenRecord.of(RandomSessions.numbered(
                          5_000_000 + k), id)));
                  created.add(k);
                }
              }
            }
            if (pause > 0) {
              LockSupport.parkNanos(random.nextLong(pause));
            }
          }
        } catch (Throwable e) {
          failed.add(e);
        }
      }, "writer");
      Thread snapshotter = new Thread(() -> {
        try {
          start.await();
          while (moving.get()) {
            java.util.Set<Integer> revokedBefore = new java.util.HashSet<>(revoked.keySet());
            java.util.Set<Integer> usedBefore = new java.util.HashSet<>(usedAcked.keySet());
            List<Integer> createdBefore = new ArrayList<>(created);
            LiveIndex image = ImageRoundTrip.of(index);
            images.incrementAndGet();
            for (int n : revokedBefore) {
              if (!image.find(hashes.get(n)).orElseThrow().session().isRevoked()) {
                throw new AssertionError("a snapshot lost the revoke of " + n);
              }
            }
            for (int n : usedBefore) {
              SessionRecord s = image.find(hashes.get(n)).orElseThrow().session();
              if (!s.isRevoked() && s.session().lastUsedAt().isBefore(used)) {
                throw new AssertionError("a snapshot lost the use of " + n);
              }
            }
            for (int k : createdBefore) {
              if (image.find(RandomSessions.numbered(5_000_000 + k)).isEmpty()) {
                throw new AssertionError("a snapshot lost created " + k);
              }
            }
          }
        } catch (Throwable e) {
          failed.add(e);
        }
      }, "snapshotter");
      Thread reader = new Thread(() -> {
        SplittableRandom random = new SplittableRandom(seed + 2);
        try {
          start.await();
          while (moving.get()) {
            int n = random.nextInt(SESSIONS);
            boolean wasRevoked = revoked.containsKey(n);
            boolean wasUsed = usedAcked.containsKey(n);
            SessionRecord s = index.find(hashes.get(n)).orElseThrow(
                () -> new AssertionError("lost " + n)).session();
            check(n, s);
            if (wasRevoked && !s.isRevoked()) {
              throw new AssertionError("revoked " + n + " reads live again");
            }
            if (wasUsed && !s.isRevoked() && s.session().lastUsedAt().isBefore(used)) {
              throw new AssertionError("use of " + n + " undone");
            }
          }
        } catch (Throwable e) {
          failed.add(e);
        }
      }, "reader");
      List<Thread> threads = List.of(mover, writer, snapshotter, reader);
      for (Thread t : threads) {
        t.start();
      }
      start.countDown();
      for (Thread t : threads) {
        t.join();
      }
      int at = round;
      assertTrue(failed.isEmpty(), () -> "round " + at + " failed: " + failed.peek());
      assertEquals(0, index.mappedLookupParts());
      for (LiveIndex each : List.of(index, ImageRoundTrip.of(index))) {
        for (int n = 0; n < SESSIONS; n++) {
          SessionRecord s = each.find(hashes.get(n)).orElseThrow().session();
          check(n, s);
          assertEquals(s, each.findSession(ids.get(n)).orElseThrow());
          if (revoked.containsKey(n)) {
            assertTrue(s.isRevoked(), "revoke of " + n + " lost");
          } else if (usedAcked.containsKey(n)) {
            assertFalse(s.session().lastUsedAt().isBefore(used), "use of " + n + " lost");
            assertFalse(s.expiresAt().isBefore(extended), "expiry of " + n + " lost");
          }
        }
        for (int k : created) {
          assertEquals(SessionId.of(-1 - k, 44),
              each.find(RandomSessions.numbered(5_000_000 + k)).orElseThrow().session().id());
        }
      }
    }
  }

  /**
   * Retired or closed at a random point of the move: the move stops (false), what it left mapped
   * stays mapped, a further call moves nothing, and every session still reads right.
   */
  @Test
  void retireOrCloseDuringTheMove_stopsIt() throws Exception {
    for (int round = 0; round < 12; round++) {
      CompactLiveIndex index = mapped("stop" + round, 400 + round);
      for (int n = 1; n < SESSIONS; n += 50) {
        if (!expiring(n)) {
          assertTrue(index.revokeSession(ids.get(n), T0.plusSeconds(1)));
        }
      }
      boolean close = round % 2 == 0;
      boolean[] result = new boolean[1];
      ConcurrentLinkedQueue<Throwable> failed = new ConcurrentLinkedQueue<>();
      CountDownLatch started = new CountDownLatch(1);
      Thread mover = new Thread(() -> {
        try {
          started.countDown();
          result[0] = index.moveLookupsToHeap(Long.MAX_VALUE, 0);
        } catch (Throwable e) {
          failed.add(e);
        }
      });
      mover.start();
      started.await();
      LockSupport.parkNanos(new SplittableRandom(round).nextLong(12_000_000));
      if (close) {
        index.close();
      } else {
        index.retire();
      }
      int left = index.mappedLookupParts();
      mover.join();
      assertTrue(failed.isEmpty(), () -> "failed: " + failed.peek());
      int after = index.mappedLookupParts();
      assertTrue(after <= left, "parts " + left + " then " + after);
      assertTrue(after - left >= -1, "at most the part being switched moved after, " + left
          + " then " + after);
      assertEquals(after == 0, result[0], "true only if every part moved, " + after + " left");
      assertFalse(index.moveLookupsToHeap(Long.MAX_VALUE, 0), "a stopped index moves nothing");
      assertEquals(after, index.mappedLookupParts());
      if (!close) {
        for (int n = 0; n < SESSIONS; n++) {
          SessionRecord s = index.find(hashes.get(n)).orElseThrow().session();
          check(n, s);
          assertEquals(n % 50 == 1 && !expiring(n), s.isRevoked(), "revoked " + n);
        }
      }
    }
  }

  private void check(int n, SessionRecord session) {
    if (!session.id().equals(ids.get(n))) {
      throw new AssertionError("token " + n + " found session " + session.id() + ", not "
          + ids.get(n));
    }
    if (!session.subject().equals(subject(n))) {
      throw new AssertionError("token " + n + " found subject " + session.subject() + ", not "
          + subject(n));
    }
    if (!java.util.Objects.equals(session.session().label(), label(n))) {
      throw new AssertionError("token " + n + " found label " + session.session().label()
          + ", not " + label(n));
    }
  }
}
