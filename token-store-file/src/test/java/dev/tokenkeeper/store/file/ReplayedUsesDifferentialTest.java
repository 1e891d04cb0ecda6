package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SealedSuccessor;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same seeded history applied to an index read back from a mapped image, whose replayed uses
 * are kept beside its slots ({@link PendingUses}), and to an index on the heap, whose uses go
 * straight into its slots: uses, creates into freed slots, revokes, logouts everywhere,
 * rotations, purges, live uses and the uses taken to be written. Every reader and every call's
 * answer must agree at every step: during the replay, while the uses are written (by the
 * serving thread, or one slowed to a slot at a time, with a lookup thread checking that no last
 * use moves back), and after; and so must snapshots of the two.
 */
class ReplayedUsesDifferentialTest {

  private static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");
  private static final String[] SUBJECTS = {"a", "b", "c", "d", "e", "f", "g"};

  @TempDir
  Path dir;

  private Random random;
  private final List<SessionId> ids = new ArrayList<>();
  private final List<TokenHash> hashes = new ArrayList<>();
  private final Map<SessionId, TokenHash> refreshOf = new HashMap<>();
  private int next;

  @Test
  void everyReaderAgrees_whileTheServingThreadWrites() throws Exception {
    for (long seed = 1; seed <= 3; seed++) {
      run(seed, 400, 500, 1, false);
    }
  }

  @Test
  void everyReaderAgrees_whileASlowWriterWrites() throws Exception {
    for (long seed = 100; seed <= 101; seed++) {
      run(seed, 400, 500, 1, true);
    }
  }

  @Test
  void everyReaderAgrees_whenACreateMovesTheShortLastChunkToTheHeap() throws Exception {
    // More than one chunk: the last one is short, and a create past the capacity moves it.
    run(77, SlotArena.CHUNK_SLOTS + 300, 600, 400, false);
  }

  /**
   * A use older than a replayed one still kept beside the slot: written straight into the slot it
   * changes nothing, so {@code touchIfLive} says false and no use is noted to be written.
   */
  @Test
  void anOlderUse_whileOneIsKept_changesNothing() throws Exception {
    random = new Random(9);
    ids.clear();
    hashes.clear();
    LiveIndex base = LiveIndex.create();
    LiveIndex heap = LiveIndex.create();
    createBoth(base, heap, T0);
    SessionId id = ids.get(0);
    CompactLiveIndex mapped = ImageRoundTrip.mapped(base, dir.resolve("image-older"));
    Instant used = T0.plusSeconds(30);
    Instant expires = T0.plusSeconds(5_000);
    mapped.touch(id, used, expires); // replay
    heap.touch(id, used, expires);
    assertEquals(1, mapped.pendingUses());
    boolean straight = heap.touchIfLive(id, T0.plusSeconds(10), T0.plusSeconds(70));
    boolean kept = mapped.touchIfLive(id, T0.plusSeconds(10), T0.plusSeconds(70));
    List<LogEntry.Use> straightNoted = heap.takeUnwritten(10);
    List<LogEntry.Use> keptNoted = mapped.takeUnwritten(10);
    assertEquals(straightNoted, keptNoted, "takeUnwritten after an older use");
    assertEquals(straight, kept, "touchIfLive of an older use");
    assertFalse(kept);
  }

  private void run(long seed, int sessions, int ops, int compareEvery, boolean slowWriter)
      throws Exception {
    random = new Random(seed);
    ids.clear();
    hashes.clear();
    refreshOf.clear();
    next = 0;
    LiveIndex base = LiveIndex.create();
    LiveIndex heap = LiveIndex.create();
    for (int n = 0; n < sessions; n++) {
      createBoth(base, heap, T0);
    }
    CompactLiveIndex mapped = ImageRoundTrip.mapped(base, dir.resolve("image-" + seed));
    String where = "seed " + seed;
    // ---- replay: what a log's tail holds, applied by replay's calls
    for (int step = 0; step < ops; step++) {
      String op = randomOp(mapped, heap, true);
      if (step % compareEvery == 0 || step == ops - 1) {
        compare(mapped, heap, where + " replay step " + step + " " + op);
      }
    }
    // ---- serving: the writer runs while the store changes and lookups run
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<String> wrong = new AtomicReference<>();
    Map<SessionId, Instant> seenUsed = new ConcurrentHashMap<>();
    Thread reader = new Thread(() -> {
      Random r = new Random(seed * 31);
      while (!stop.get()) {
        TokenHash h;
        synchronized (hashes) {
          h = hashes.get(r.nextInt(hashes.size()));
        }
        try {
          Optional<TokenEntry> e = mapped.find(h);
          if (e.isPresent()) {
            Session s = e.get().session().session();
            Instant before = seenUsed.merge(s.id(), s.lastUsedAt(),
                (a, b) -> a.isAfter(b) ? a : b);
            if (before.isAfter(s.lastUsedAt())) {
              wrong.compareAndSet(null, "lastUsed of " + s.id() + " moved back: saw "
                  + before + " then " + s.lastUsedAt());
            }
          }
        } catch (RuntimeException ex) {
          wrong.compareAndSet(null, "find threw " + ex);
        }
      }
    });
    reader.setDaemon(true);
    reader.start();
    Thread writer = null;
    if (slowWriter) {
      // The serving thread's own loop, slowed: one slot per hold, so the store's calls below run
      // while it writes.
      writer = new Thread(() -> {
        while (mapped.writePending(1) > 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(300_000);
        }
      });
      writer.setDaemon(true);
      writer.start();
    } else {
      mapped.serving(false, copy -> {});
    }
    for (int step = 0; step < ops; step++) {
      String op = randomOp(mapped, heap, false);
      if (step % compareEvery == 0 || step == ops - 1) {
        compare(mapped, heap, where + " serving step " + step + " " + op + " pending "
            + mapped.pendingUses());
      }
    }
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (mapped.pendingUses() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    assertEquals(0, mapped.pendingUses(), where);
    compare(mapped, heap, where + " after writing");
    // a snapshot of each, read back, also agrees
    compare(ImageRoundTrip.of(mapped), ImageRoundTrip.of(heap), where + " snapshots");
    stop.set(true);
    reader.join();
    assertNull(wrong.get(), where);
  }

  private String randomOp(LiveIndex mapped, LiveIndex heap, boolean replay) {
    int pick = random.nextInt(100);
    Instant now = T0.plusSeconds(random.nextInt(4_000));
    if (pick < 55) {
      SessionId id = someId();
      Instant used = T0.plusSeconds(random.nextInt(3_000));
      Instant expires = used.plusSeconds(random.nextInt(3_000) + 1);
      if (replay) {
        mapped.touch(id, used, expires);
        heap.touch(id, used, expires);
        return "touch " + id + " " + used + " " + expires;
      }
      boolean a = mapped.touchIfLive(id, used, expires);
      boolean b = heap.touchIfLive(id, used, expires);
      assertEquals(b, a, "touchIfLive " + id + " " + used + " " + expires);
      return "touchIfLive " + id;
    } else if (pick < 65) {
      createBoth(mapped, heap, now);
      return "create";
    } else if (pick < 72) {
      SessionId id = someId();
      assertEquals(heap.revokeSession(id, now), mapped.revokeSession(id, now), "revoke " + id);
      return "revoke " + id;
    } else if (pick < 74) {
      String s = SUBJECTS[random.nextInt(SUBJECTS.length)];
      assertEquals(heap.revokeAll(s, now), mapped.revokeAll(s, now), "revokeAll " + s);
      return "revokeAll " + s;
    } else if (pick < 84) {
      SessionId id = someId();
      Optional<SessionRecord> held = heap.findSession(id);
      if (held.isEmpty()) {
        return "rotate none";
      }
      List<TokenRecord> tokens = heap.tokensOf(id);
      TokenHash rotated = held.get().refreshHash() != null
          ? held.get().refreshHash() : tokens.get(0).hash();
      TokenHash nr = newHash();
      TokenHash na = newHash();
      Rotation rotation = new Rotation(id, held.get().refreshHash(), rotated, now,
          random.nextBoolean() ? null : SealedSuccessor.of(new byte[40], now.plusSeconds(30)),
          TokenRecord.of(nr, id), TokenRecord.expiring(na, id, now.plusSeconds(300)),
          now.plusSeconds(random.nextInt(3_000)));
      assertEquals(heap.rotate(rotation), mapped.rotate(rotation), "rotate " + id);
      return "rotate " + id;
    } else if (pick < 90) {
      assertEquals(heap.purgeExpired(now), mapped.purgeExpired(now), "purge " + now);
      return "purge " + now;
    } else if (pick < 95 && !replay) {
      List<LogEntry.Use> a = mapped.takeUnwritten(100_000);
      List<LogEntry.Use> b = heap.takeUnwritten(100_000);
      assertEquals(new HashSet<>(b), new HashSet<>(a), "takeUnwritten");
      return "takeUnwritten";
    } else {
      Instant at = T0.plusSeconds(random.nextInt(6_000));
      assertEquals(heap.liveCount(at), mapped.liveCount(at), "liveCount " + at);
      return "liveCount";
    }
  }

  private void createBoth(LiveIndex a, LiveIndex b, Instant now) {
    SessionId id = SessionId.of(random.nextLong(), next++);
    String subject = SUBJECTS[random.nextInt(SUBJECTS.length)];
    String label = random.nextInt(3) == 0 ? null : "dev " + random.nextInt(4);
    Session s = new Session(id, subject, label, now, now, now.plusSeconds(60 + random.nextInt(
        3_000)));
    List<TokenRecord> tokens = new ArrayList<>();
    TokenHash refresh = null;
    if (random.nextInt(6) == 0) {
      refresh = newHash();
      tokens.add(TokenRecord.expiring(newHash(), id, now.plusSeconds(300)));
      tokens.add(TokenRecord.of(refresh, id));
    } else {
      tokens.add(TokenRecord.of(newHash(), id));
    }
    SessionRecord record = SessionRecord.of(s, null, refresh);
    a.create(record, tokens);
    b.create(record, tokens);
    synchronized (hashes) {
      ids.add(id);
    }
  }

  private TokenHash newHash() {
    TokenHash h = TokenHash.sha256Words(random.nextLong(), random.nextLong(), random.nextLong(),
        random.nextLong());
    synchronized (hashes) {
      hashes.add(h);
    }
    return h;
  }

  private SessionId someId() {
    return ids.get(random.nextInt(ids.size()));
  }

  private void compare(LiveIndex mapped, LiveIndex heap, String where) {
    assertEquals(heap.sessionCount(), mapped.sessionCount(), where);
    assertEquals(heap.tokenCount(), mapped.tokenCount(), where);
    List<TokenHash> hs;
    synchronized (hashes) {
      hs = new ArrayList<>(hashes);
    }
    for (TokenHash h : hs) {
      assertEquals(heap.find(h), mapped.find(h), () -> where + " find " + h);
    }
    for (SessionId id : ids) {
      assertEquals(heap.findSession(id), mapped.findSession(id), () -> where + " session " + id);
      assertEquals(new HashSet<>(heap.tokensOf(id)), new HashSet<>(mapped.tokensOf(id)),
          () -> where + " tokensOf " + id);
    }
    for (String s : SUBJECTS) {
      assertEquals(new HashSet<>(heap.findSessions(s)), new HashSet<>(mapped.findSessions(s)),
          () -> where + " subject " + s);
    }
    List<SessionRecord> all1 = new ArrayList<>();
    List<SessionRecord> all2 = new ArrayList<>();
    heap.forEachSession(all1::add);
    mapped.forEachSession(all2::add);
    assertEquals(new HashSet<>(all1), new HashSet<>(all2), where + " forEachSession");
    for (int t = 0; t <= 6_000; t += 250) {
      Instant at = T0.plusSeconds(t);
      assertEquals(heap.liveCount(at), mapped.liveCount(at), where + " liveCount " + at);
    }
  }
}
