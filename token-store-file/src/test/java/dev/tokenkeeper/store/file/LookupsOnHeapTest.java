package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.CapturedLogs;
import dev.tokenkeeper.core.MutableClock;
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
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

/**
 * What a lookup reads, moved from a snapshot's mapped pages to the heap while the index serves
 * ({@link FileTokenStore.Builder#lookupsOnHeap}): a change made while a part moves must never be
 * lost to the copy (a revoke coming back is the failure that matters), and a lookup racing the
 * move must see every acknowledged change.
 */
class LookupsOnHeapTest {

  private static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");
  /** Two full chunks of slots and part of a third, so three chunks and the table move. */
  private static final int SESSIONS = 2 * SlotArena.CHUNK_SLOTS + 5_000;

  @TempDir
  Path dir;

  private final MutableClock clock = new MutableClock(T0);
  private final List<SessionId> ids = new ArrayList<>();
  private final List<TokenHash> hashes = new ArrayList<>();

  private CompactLiveIndex mapped(String name, long seed) throws IOException {
    ids.clear();
    hashes.clear();
    LiveIndex index = LiveIndex.create();
    RandomSessions.fill(index, new SplittableRandom(seed), SESSIONS, SESSIONS / 2, T0, ids,
        hashes);
    return ImageRoundTrip.mapped(index, dir.resolve(name));
  }

  @Test
  void everyPartMoves_andEverySessionReadsAsBefore() throws IOException {
    CompactLiveIndex index = mapped("image", 1);
    assertEquals(4, index.mappedLookupParts(), "three chunks of slots and the digest table");
    List<SessionRecord> before = new ArrayList<>();
    index.forEachSession(before::add);

    assertTrue(index.moveLookupsToHeap(Long.MAX_VALUE, 0));
    assertEquals(0, index.mappedLookupParts());
    assertTrue(index.moveLookupsToHeap(Long.MAX_VALUE, 0), "nothing left to move");

    List<SessionRecord> after = new ArrayList<>();
    index.forEachSession(after::add);
    assertEquals(before, after);
    for (int n = 0; n < SESSIONS; n += 97) {
      TokenEntry found = index.find(hashes.get(n)).orElseThrow();
      assertEquals(ids.get(n), found.session().id());
    }
    // Changes after the move land in the heap's copies and reach a snapshot.
    assertTrue(index.revokeSession(ids.get(0), T0.plusSeconds(1)));
    assertTrue(index.find(hashes.get(0)).orElseThrow().session().isRevoked());
    LiveIndex read = ImageRoundTrip.of(index);
    assertTrue(read.find(hashes.get(0)).orElseThrow().session().isRevoked());
    assertEquals(index.sessionCount(), read.sessionCount());
  }

  /** The store moves them after open and after each compaction, only when asked. */
  @Test
  void theStore_movesThemWhenAsked_afterOpenAndEachCompaction() throws Exception {
    Path store = dir.resolve("store");
    try (FileTokenStore filled = FileTokenStore.builder().directory(store).clock(clock)
        .durability(Durability.NONE).compactionThreshold(Long.MAX_VALUE).build()) {
      for (int n = 0; n < 3_000; n++) {
        SessionId id = SessionId.of(n, 7);
        filled.create(SessionRecord.of(new Session(id, "user" + n / 2, null, T0, T0,
            T0.plusSeconds(3_600)), null, null),
            List.of(TokenRecord.of(RandomSessions.numbered(n), id)));
      }
      filled.compact();
    }
    try (FileTokenStore plain = FileTokenStore.builder().directory(store).clock(clock).build()) {
      assertEquals(2, plain.mappedLookupParts(), "by default the slots and table stay mapped");
    }
    try (FileTokenStore moved = FileTokenStore.builder().directory(store).clock(clock)
        .compactionThreshold(Long.MAX_VALUE).lookupsOnHeap(true).build()) {
      awaitMoved(moved);
      awaitLine(store, "lookups read from the heap, ");
      assertTrue(moved.revokeSession(SessionId.of(5, 7), T0.plusSeconds(1)));
      moved.compact();
      assertEquals(1, moved.served(), "a compaction's snapshot serves");
      awaitMoved(moved);
      assertTrue(moved.find(RandomSessions.numbered(5)).orElseThrow().session().isRevoked());
      assertEquals(SessionId.of(6, 7),
          moved.find(RandomSessions.numbered(6)).orElseThrow().session().id());
    }
    try (FileTokenStore reopened = FileTokenStore.builder().directory(store).clock(clock).build()) {
      assertTrue(reopened.find(RandomSessions.numbered(5)).orElseThrow().session().isRevoked());
      assertEquals(2_999, reopened.liveCount(), "all but the one revoked");
    }
  }

  /** Waits for the INFO line the move ends with: written after its last part is switched. */
  private static void awaitLine(Path store, String text) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (CapturedLogs.texts(Level.INFO, store.toString()).stream().noneMatch(
        line -> line.contains(text)) && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    assertTrue(CapturedLogs.texts(Level.INFO, store.toString()).stream()
        .anyMatch(line -> line.contains(text)), () -> "no line saying: " + text);
  }

  private static void awaitMoved(FileTokenStore store) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (store.mappedLookupParts() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    assertEquals(0, store.mappedLookupParts(), "moved to the heap within ten seconds");
  }

  @Test
  void aRetiredOrClosedIndex_movesNothing() throws IOException {
    CompactLiveIndex retired = mapped("retired", 2);
    retired.retire();
    assertFalse(retired.moveLookupsToHeap(Long.MAX_VALUE, 0));
    assertEquals(4, retired.mappedLookupParts());
    CompactLiveIndex closed = mapped("closed", 3);
    closed.close();
    assertFalse(closed.moveLookupsToHeap(Long.MAX_VALUE, 0));
  }

  /**
   * The copies stay for as long as the index serves, so they are made only where the heap keeps
   * room for the application and the next compaction: else nothing moves, and a heap the store
   * works in without the option is not filled by it.
   */
  @Test
  void aHeapWithoutRoom_movesNothing() throws IOException {
    assertTrue(CompactLiveIndex.heapHasRoomFor(100, 800, 400));
    assertFalse(CompactLiveIndex.heapHasRoomFor(100, 799, 0), "more than an eighth of the heap");
    assertFalse(CompactLiveIndex.heapHasRoomFor(100, 800, 401), "less than four times them free");
    assertTrue(CompactLiveIndex.heapHasRoomFor(100, Long.MAX_VALUE, 0), "no limit set");

    CompactLiveIndex index = mapped("tight", 4);
    long needed = index.lookupBytesMapped();
    assertFalse(index.moveLookupsToHeap(8 * needed - 1, 0));
    assertEquals(4, index.mappedLookupParts(), "nothing moved");
    assertFalse(index.moveLookupsToHeap(8 * needed, 4 * needed + 1));
    assertEquals(4, index.mappedLookupParts(), "nothing moved");
    assertTrue(index.moveLookupsToHeap(8 * needed, 4 * needed));
    assertEquals(0, index.mappedLookupParts());
  }

  /**
   * Writers revoke, touch and create while another thread moves every part and readers look up
   * the revoked tokens: once a revoke returned, no reader may see its session live again, and
   * after the move every revoke, use and create is there.
   */
  @Test
  void changesRacingTheMove_areNeverLost() throws Exception {
    for (int round = 0; round < 4; round++) {
      CompactLiveIndex index = mapped("race" + round, 10 + round);
      ConcurrentLinkedQueue<Integer> revoked = new ConcurrentLinkedQueue<>();
      AtomicBoolean moving = new AtomicBoolean(true);
      CountDownLatch start = new CountDownLatch(1);
      ConcurrentLinkedQueue<Throwable> failed = new ConcurrentLinkedQueue<>();
      Instant used = T0.plusSeconds(30);
      Instant extended = T0.plusSeconds(7_200);
      int created = SESSIONS;

      Thread writer = new Thread(() -> {
        try {
          start.await();
          // Every third session revoked and every third used, through every chunk in turn,
          // until the move is over and at least the first 4,000 are done.
          for (int at = 1; at < SESSIONS && (moving.get() || at < 4_000); at++) {
            if (at % 3 == 1) {
              assertTrue(index.revokeSession(ids.get(at), T0.plusSeconds(1)));
              revoked.add(at);
            } else if (at % 3 == 2) {
              index.touch(ids.get(at), used, extended);
            }
          }
        } catch (Throwable e) {
          failed.add(e);
        }
      });
      Thread reader = new Thread(() -> {
        try {
          start.await();
          while (moving.get()) {
            for (Integer at : revoked) {
              if (!index.find(hashes.get(at)).orElseThrow().session().isRevoked()) {
                throw new AssertionError("a revoked session read live again: " + at);
              }
            }
          }
        } catch (Throwable e) {
          failed.add(e);
        }
      });
      Thread mover = new Thread(() -> {
        try {
          start.await();
          assertTrue(index.moveLookupsToHeap(Long.MAX_VALUE, 0));
        } catch (Throwable e) {
          failed.add(e);
        } finally {
          moving.set(false);
        }
      });
      writer.start();
      reader.start();
      mover.start();
      start.countDown();
      // Creates from this thread too: a create may grow the arena's last chunk while it moves.
      for (int n = 0; n < 2_000; n++) {
        SessionId id = SessionId.of(-1 - n, round);
        index.create(SessionRecord.of(new Session(id, "late" + n, null, T0, T0,
            T0.plusSeconds(60)), null, null),
            List.of(TokenRecord.of(RandomSessions.numbered(created + n), id)));
      }
      mover.join();
      writer.join();
      reader.join();
      assertTrue(failed.isEmpty(), () -> "failed: " + failed.peek());
      assertEquals(0, index.mappedLookupParts());
      assertFalse(revoked.isEmpty(), "the writer revoked while the parts moved");

      for (Integer at : revoked) {
        assertTrue(index.find(hashes.get(at)).orElseThrow().session().isRevoked(), "at " + at);
      }
      for (int at = 2; at < 4_000; at += 3) {
        Session session = index.findSession(ids.get(at)).orElseThrow().session();
        assertEquals(used, session.lastUsedAt(), "the use of " + at);
        assertEquals(extended, session.expiresAt(), "the expiry of " + at);
      }
      for (int n = 0; n < 2_000; n++) {
        assertEquals(SessionId.of(-1 - n, round),
            index.find(RandomSessions.numbered(created + n)).orElseThrow().session().id());
      }
      LiveIndex read = ImageRoundTrip.of(index);
      for (Integer at : revoked) {
        assertTrue(read.find(hashes.get(at)).orElseThrow().session().isRevoked());
      }
      assertEquals(SESSIONS + 2_000, read.sessionCount());
    }
  }
}
