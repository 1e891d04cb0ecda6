package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After each compaction the store serves from the snapshot it wrote, read back with its image
 * mapped and caught up with what was logged since the rotation. The promise: the swap changes
 * nothing anyone can see. Every session, token and subject reads as memory held it; a logout,
 * a refresh or a use acknowledged before, during or after the swap stays; and what a reopen
 * finds is what the running store served.
 */
class ServedSnapshotTest {

  private static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);

  @TempDir
  Path dir;

  private FileTokenStore open(Disk disk, long threshold) {
    return FileTokenStore.builder().directory(dir).clock(CLOCK).disk(disk)
        .compactionThreshold(threshold).touchPersistInterval(Duration.ofHours(1)).build();
  }

  /** What the store answers for every session, token and subject the test made. */
  private static final class Made {
    final List<Issued> singles = Collections.synchronizedList(new ArrayList<>());
    final List<SessionRecord> pairs = Collections.synchronizedList(new ArrayList<>());
    final Set<TokenHash> hashes = Collections.synchronizedSet(new TreeSet<>(
        Comparator.comparing(TokenHash::toString)));
    final Set<String> subjects = Collections.synchronizedSet(new TreeSet<>());

    void single(Issued issued) {
      singles.add(issued);
      hashes.add(issued.hash());
      subjects.add(issued.subject());
    }

    void pair(SessionRecord session) {
      pairs.add(session);
      hashes.add(session.refreshHash());
      subjects.add(session.session().subject());
    }

    void rotation(Rotation rotation) {
      hashes.add(rotation.refresh().hash());
      hashes.add(rotation.access().hash());
    }

    Map<String, Object> view(TokenStore store) {
      Map<String, Object> view = new LinkedHashMap<>();
      synchronized (singles) {
        for (Issued issued : singles) {
          view.put("session " + issued.id(), store.findSession(issued.id()));
        }
      }
      synchronized (pairs) {
        for (SessionRecord pair : pairs) {
          view.put("session " + pair.id(), store.findSession(pair.id()));
        }
      }
      synchronized (hashes) {
        for (TokenHash hash : hashes) {
          view.put("token " + hash, store.find(hash));
        }
      }
      synchronized (subjects) {
        for (String subject : subjects) {
          List<SessionRecord> sessions = new ArrayList<>(store.findSessions(subject));
          sessions.sort(Comparator.comparing(s -> s.id().toString()));
          view.put("subject " + subject, sessions);
        }
      }
      return view;
    }
  }

  @Test
  void aCompaction_servesFromItsSnapshot_withEverySessionTokenSubjectAndUseAsMemoryHeldThem() {
    Random random = new Random(TestSeed.of("ServedSnapshotTest.plain"));
    Made made = new Made();
    Map<String, Object> served;
    try (FileTokenStore store = open(Disk.system(), Long.MAX_VALUE)) {
      makeEveryKind(store, random, made, 0);
      Map<String, Object> memory = made.view(store);
      store.compact();
      assertEquals(1, store.served(), "the compaction's snapshot is served");
      assertSameView(memory, made.view(store), "served from the snapshot, as memory held it");
      // Changes after the swap, uses noted only in memory included, reach the reopened store.
      makeEveryKind(store, random, made, 100);
      store.compact();
      assertEquals(2, store.served());
      makeEveryKind(store, random, made, 200);
      served = made.view(store);
    }
    assertReopenedHolds(made, served);
  }

  @Test
  void everyKindOfChange_loggedWhileTheSnapshotIsWritten_isCaughtUpBeforeItIsServed()
      throws Exception {
    Random random = new Random(TestSeed.of("ServedSnapshotTest.held"));
    Made made = new Made();
    FaultyDisk disk = new FaultyDisk();
    Map<String, Object> served;
    try (FileTokenStore store = open(disk, Long.MAX_VALUE)) {
      makeEveryKind(store, random, made, 0);
      // The compaction rotates, then parks in its snapshot's fsync while writers go on: the
      // sessions it reads back miss all of those changes until it catches up.
      FaultyDisk.Hold hold = disk.holdNextForce("snapshot-");
      Thread compaction = new Thread(store::compact);
      compaction.start();
      hold.awaitHeld();
      for (int round = 1; round <= 5; round++) {
        makeEveryKind(store, random, made, round * 100);
      }
      Map<String, Object> memory = made.view(store);
      hold.release();
      compaction.join(TimeUnit.SECONDS.toMillis(30));
      assertFalse(compaction.isAlive());
      assertEquals(1, store.served());
      assertSameView(memory, made.view(store), "everything logged meanwhile is served");
      served = memory;
    }
    assertReopenedHolds(made, served);
  }

  @Test
  void aSnapshotThatCannotBeReadBack_leavesTheStoreServingFromMemory_losingNothing() {
    Random random = new Random(TestSeed.of("ServedSnapshotTest.unreadable"));
    Made made = new Made();
    FaultyDisk disk = new FaultyDisk();
    Map<String, Object> served;
    try (FileTokenStore store = open(disk, Long.MAX_VALUE)) {
      makeEveryKind(store, random, made, 0);
      disk.failNextOpen("snapshot-");
      store.compact();
      assertEquals("open snapshot-0000000002", disk.failedAt());
      assertEquals(0, store.served(), "memory is kept");
      assertFalse(store.isFailed(), "the compaction itself stands");
      makeEveryKind(store, random, made, 100);
      store.compact();
      assertEquals(1, store.served(), "the next compaction serves its snapshot");
      served = made.view(store);
    }
    assertReopenedHolds(made, served);
  }

  @Test
  void aStoreThatFailedWhileTheSnapshotWasWritten_neverServesIt_andKeepsWhatWasAcknowledged()
      throws Exception {
    Random random = new Random(TestSeed.of("ServedSnapshotTest.failed"));
    Made made = new Made();
    FaultyDisk disk = new FaultyDisk();
    FileTokenStore store = open(disk, Long.MAX_VALUE);
    makeEveryKind(store, random, made, 0);
    Map<String, Object> acknowledged = made.view(store);
    FaultyDisk.Hold hold = disk.holdNextForce("snapshot-");
    Thread compaction = new Thread(store::compact);
    compaction.start();
    hold.awaitHeld();
    disk.failAfter(0); // the next create's log write fails, and the store with it
    try {
      Issued.create(store, "late");
    } catch (RuntimeException expected) {
      // refused: not acknowledged
    }
    assertTrue(store.isFailed());
    hold.release();
    compaction.join(TimeUnit.SECONDS.toMillis(30));
    assertEquals(0, store.served(), "a failed store keeps serving what it held");
    assertSameView(acknowledged, made.view(store), "the failed store serves what it held");
    try {
      store.close();
    } catch (RuntimeException expected) {
      // close reports the latched failure
    }
    try (FileTokenStore reopened = open(Disk.system(), Long.MAX_VALUE)) {
      assertSameView(acknowledged, made.view(reopened), "the reopened store holds what was acknowledged");
    }
  }

  /**
   * Swaps with a moving clock: sessions that expire, sealed pairs, purges at past instants,
   * logouts everywhere, and uses noted only in memory right before each compaction.
   */
  @Test
  void swapsWithAMovingClock_changeNothingServed() {
    MutableClock clock = new MutableClock(T0);
    Random random = new Random(TestSeed.of("ServedSnapshotTest.clock"));
    Made made = new Made();
    List<Issued> singles = new ArrayList<>();
    Map<String, Object> served;
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).clock(clock)
        .compactionThreshold(Long.MAX_VALUE).touchPersistInterval(Duration.ofHours(1)).build()) {
      for (int round = 0; round < 30; round++) {
        Instant now = clock.instant();
        for (int i = 0; i < 40; i++) {
          String subject = "u" + random.nextInt(6);
          int choice = random.nextInt(10);
          if (choice < 4) {
            Issued issued = Issued.create(store, random, subject,
                random.nextBoolean() ? null : "l" + random.nextInt(3), now,
                now.plusSeconds(5 + random.nextInt(120)));
            singles.add(issued);
            made.single(issued);
          } else if (choice < 6 && !singles.isEmpty()) {
            Issued issued = singles.get(random.nextInt(singles.size()));
            Instant used = now.plusSeconds(random.nextInt(5));
            store.touch(issued.id(), used, used.plusSeconds(random.nextInt(200)));
          } else if (choice < 7 && !singles.isEmpty()) {
            singles.get(random.nextInt(singles.size())).revoke(store, now);
          } else if (choice < 8) {
            SessionRecord pair = TokenStoreContract.createPair(store, subject);
            made.pair(pair);
            Rotation rotation = TokenStoreContract.rotation(pair, now);
            made.rotation(rotation);
            store.rotate(rotation);
          } else if (choice < 9) {
            store.revokeAll(subject, now);
          } else {
            store.purgeExpired(now.minusSeconds(random.nextInt(30)));
          }
        }
        for (int k = 0; k < 5 && !singles.isEmpty(); k++) {
          Issued issued = singles.get(random.nextInt(singles.size()));
          store.touch(issued.id(), now.plusSeconds(7), now.plusSeconds(300));
        }
        // The compaction's own purge forgets what has expired: memory forgets it first.
        store.purgeExpired(clock.instant());
        Map<String, Object> memory = made.view(store);
        long before = store.served();
        store.compact();
        assertEquals(before + 1, store.served(), "round " + round + " swapped");
        assertSameView(memory, made.view(store), "round " + round + " at " + clock.instant());
        clock.advance(Duration.ofSeconds(random.nextInt(40)));
      }
      served = made.view(store);
    }
    try (FileTokenStore reopened = FileTokenStore.builder().directory(dir).clock(clock)
        .compactionThreshold(Long.MAX_VALUE).build()) {
      assertSameView(served, made.view(reopened), "the reopened store holds what was served");
    }
  }

  /**
   * Writers, a refresher, a toucher and compactions race: each logout and refresh is checked
   * the moment it is acknowledged and again by a checker thread while the index is swapped under
   * it, and the reopened store must hold what the running one last served.
   */
  @Test
  void logoutsRefreshesAndUsesRacingCompactions_areFinalFromTheirAcknowledgementOn()
      throws Exception {
    long seed = TestSeed.of("ServedSnapshotTest.race");
    Made made = new Made();
    List<Issued> revoked = Collections.synchronizedList(new ArrayList<>());
    List<Rotation> rotated = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Map<String, Object> served;
    long swaps;
    try (FileTokenStore store = open(Disk.system(), 16_000)) {
      AtomicBoolean running = new AtomicBoolean(true);
      CountDownLatch writersDone = new CountDownLatch(2);
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        Random random = new Random(seed + w);
        int writer = w;
        threads.add(new Thread(() -> {
          try {
            List<Issued> mine = new ArrayList<>();
            for (int i = 0; i < 600 && failed.get() == null; i++) {
              String subject = "user" + writer + "-" + (i / 100);
              int choice = random.nextInt(10);
              if (i % 100 == 99 && !mine.isEmpty()) {
                int count = store.revokeAll(subject, T0.plusSeconds(i));
                assertTrue(count > 0, "logout everywhere of " + subject);
                for (Issued issued : mine) {
                  assertTrue(issued.isRevokedIn(store), "a logout everywhere is final");
                  revoked.add(issued);
                }
                mine.clear();
              } else if (choice < 2 && !mine.isEmpty()) {
                Issued target = mine.remove(random.nextInt(mine.size()));
                assertTrue(target.revoke(store, T0.plusSeconds(i)), "a live session logs out");
                revoked.add(target);
                assertTrue(target.isRevokedIn(store), "a logout is final once acknowledged");
              } else if (choice < 4) {
                SessionRecord pair = TokenStoreContract.createPair(store, subject);
                made.pair(pair);
                Rotation rotation = TokenStoreContract.rotation(pair, T0.plusSeconds(i));
                made.rotation(rotation);
                assertTrue(store.rotate(rotation), "a fresh pair rotates");
                rotated.add(rotation);
                assertRotated(store, rotation);
              } else {
                Issued issued = Issued.create(store, random, subject, "agent " + (i % 7),
                    T0, T0.plus(Duration.ofDays(1)));
                made.single(issued);
                mine.add(issued);
              }
            }
          } catch (Throwable t) {
            failed.compareAndSet(null, t);
          } finally {
            writersDone.countDown();
          }
        }));
      }
      threads.add(new Thread(() -> {
        try {
          for (int second = 1; running.get(); second++) {
            List<Issued> now;
            synchronized (made.singles) {
              now = new ArrayList<>(made.singles);
            }
            for (Issued issued : now) {
              Instant used = T0.plusSeconds(second);
              store.touch(issued.id(), used, used.plus(Duration.ofDays(2)));
            }
          }
        } catch (Throwable t) {
          failed.compareAndSet(null, t);
        }
      }));
      threads.add(new Thread(() -> {
        try {
          while (running.get()) {
            List<Issued> gone;
            List<Rotation> done;
            synchronized (revoked) {
              gone = new ArrayList<>(revoked);
            }
            synchronized (rotated) {
              done = new ArrayList<>(rotated);
            }
            for (Issued issued : gone) {
              assertTrue(issued.isRevokedIn(store), "a logout stays final: " + issued.id());
            }
            for (Rotation rotation : done) {
              assertRotated(store, rotation);
            }
          }
        } catch (Throwable t) {
          failed.compareAndSet(null, t);
        }
      }));
      threads.add(new Thread(() -> {
        try {
          while (running.get()) {
            store.compact();
          }
        } catch (Throwable t) {
          failed.compareAndSet(null, t);
        }
      }));
      threads.forEach(Thread::start);
      assertTrue(writersDone.await(2, TimeUnit.MINUTES), "writers finished");
      running.set(false);
      for (Thread thread : threads) {
        thread.join(TimeUnit.MINUTES.toMillis(1));
      }
      if (failed.get() != null) {
        throw new AssertionError(TestSeed.replay(seed), failed.get());
      }
      assertFalse(store.isFailed());
      swaps = store.served();
      served = made.view(store);
    }
    assertTrue(swaps >= 3, "the index was swapped under the race " + swaps + " times");
    try (FileTokenStore reopened = open(Disk.system(), Long.MAX_VALUE)) {
      assertSameView(served, made.view(reopened), "the reopened store holds what was served");
      for (Issued issued : revoked) {
        assertTrue(issued.isRevokedIn(reopened));
      }
    }
  }

  private void assertReopenedHolds(Made made, Map<String, Object> served) {
    try (FileTokenStore reopened = open(Disk.system(), Long.MAX_VALUE)) {
      assertSameView(served, made.view(reopened), "the reopened store holds what was served");
    }
  }

  /** Fails naming the first few entries that differ, not printing both views whole. */
  private static void assertSameView(Map<String, Object> expected, Map<String, Object> actual,
      String what) {
    List<String> differ = new ArrayList<>();
    for (Map.Entry<String, Object> entry : expected.entrySet()) {
      Object other = actual.get(entry.getKey());
      if (!entry.getValue().equals(other)) {
        differ.add(entry.getKey() + ": expected " + entry.getValue() + " but was " + other);
      }
    }
    if (!expected.keySet().equals(actual.keySet())) {
      differ.add("the views cover different keys");
    }
    assertTrue(differ.isEmpty(), what + "; " + differ.size() + " differ, first: "
        + differ.subList(0, Math.min(3, differ.size())));
  }

  private static void assertRotated(TokenStore store, Rotation rotation) {
    TokenEntry old = store.find(rotation.rotated()).orElseThrow();
    assertTrue(old.token().isRotated(), "a refresh is final once acknowledged");
    Optional<TokenEntry> refresh = store.find(rotation.refresh().hash());
    assertTrue(refresh.isPresent(), "the new refresh token is held");
    assertEquals(rotation.refresh().hash(), refresh.get().session().refreshHash());
  }

  /**
   * Singles with labels, pairs rotated once, logouts, a logout everywhere and uses noted only in
   * memory: every kind of session state the index keeps.
   */
  private static void makeEveryKind(FileTokenStore store, Random random, Made made, int at) {
    String subject = "user" + at;
    List<Issued> singles = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Issued issued = Issued.create(store, random, subject + "-" + (i % 4),
          i % 3 == 0 ? null : "browser " + (i % 5), T0, T0.plus(Duration.ofDays(1)));
      made.single(issued);
      singles.add(issued);
    }
    for (int i = 0; i < 5; i++) {
      SessionRecord pair = TokenStoreContract.createPair(store, subject + "-pair");
      made.pair(pair);
      Rotation rotation = TokenStoreContract.rotation(pair, T0.plusSeconds(at + i));
      made.rotation(rotation);
      assertTrue(store.rotate(rotation));
    }
    for (int i = 0; i < 8; i++) {
      assertTrue(singles.get(i).revoke(store, T0.plusSeconds(at + i)));
    }
    assertTrue(store.revokeAll(subject + "-3", T0.plusSeconds(at + 9)) > 0);
    for (int i = 10; i < 30; i++) {
      Instant used = T0.plusSeconds(at + i);
      store.touch(singles.get(i).id(), used, used.plus(Duration.ofDays(2)));
    }
  }
}
