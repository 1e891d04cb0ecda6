package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The index keeps which sessions have uses not written yet, a bit beside each slot, set in the
 * same step as the use changes memory: what the touch buffer writes, so a use it misses is a use
 * lost, and one it writes for the wrong session a session that seems used when it was not.
 */
class CompactLiveIndexUnwrittenTest {

  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final Instant END = T0.plusSeconds(1_000_000);

  @Test
  void touched_isTakenOnce_withItsLatestUse() {
    CompactLiveIndex index = new CompactLiveIndex();
    SessionId id = SessionId.of(1, 1);
    create(index, id, END);
    SessionId other = SessionId.of(2, 2);
    create(index, other, END);

    assertTrue(index.touchIfLive(id, T0.plusSeconds(1), END));
    assertTrue(index.touchIfLive(id, T0.plusSeconds(2), END.plusSeconds(5)));
    assertFalse(index.touchIfLive(id, T0.plusSeconds(1), END), "an older use changes nothing");

    assertEquals(1, index.unwrittenCount());
    assertEquals(List.of(new LogEntry.Use(id, T0.plusSeconds(2), END.plusSeconds(5))),
        index.takeUnwritten(10));
    assertEquals(0, index.unwrittenCount());
    assertEquals(List.of(), index.takeUnwritten(10));
  }

  @Test
  void revokedAfterItsUse_isNotTaken() {
    CompactLiveIndex index = new CompactLiveIndex();
    SessionId id = SessionId.of(3, 3);
    create(index, id, END);
    assertTrue(index.touchIfLive(id, T0.plusSeconds(1), END));
    assertTrue(index.revokeSession(id, T0.plusSeconds(2)));

    assertEquals(List.of(), index.takeUnwritten(10));
    assertEquals(0, index.unwrittenCount());
  }

  /** A slot freed with an unwritten use goes to the next session without one. */
  @Test
  void purgedWithAnUnwrittenUse_itsSlotsNextSessionHasNone() {
    CompactLiveIndex index = new CompactLiveIndex();
    SessionId gone = SessionId.of(4, 4);
    create(index, gone, T0.plusSeconds(10));
    assertTrue(index.touchIfLive(gone, T0.plusSeconds(1), T0.plusSeconds(10)));
    assertEquals(1, index.purgeExpired(T0.plusSeconds(20)));
    assertEquals(0, index.unwrittenCount());
    SessionId next = SessionId.of(5, 5);
    create(index, next, END);

    assertEquals(List.of(), index.takeUnwritten(10));
  }

  @Test
  void forgetUnwritten_saysWhetherTheSessionHadOne() {
    CompactLiveIndex index = new CompactLiveIndex();
    SessionId id = SessionId.of(6, 6);
    create(index, id, END);
    assertFalse(index.forgetUnwritten(id));
    assertTrue(index.touchIfLive(id, T0.plusSeconds(1), END));

    assertTrue(index.forgetUnwritten(id));
    assertFalse(index.forgetUnwritten(id));
    assertFalse(index.forgetUnwritten(SessionId.of(7, 7)));
    assertEquals(List.of(), index.takeUnwritten(10));
  }

  @Test
  void takeUnwritten_takesAtMostMax_andEveryOneOnce() {
    CompactLiveIndex index = new CompactLiveIndex();
    List<SessionId> ids = new ArrayList<>();
    for (int n = 0; n < 600; n++) {
      SessionId id = SessionId.of(100, n);
      create(index, id, END);
      ids.add(id);
    }
    for (SessionId id : ids) {
      assertTrue(index.touchIfLive(id, T0.plusSeconds(1), END));
    }
    List<SessionId> taken = new ArrayList<>();
    for (int expected : new int[] {256, 256, 88, 0}) {
      List<LogEntry.Use> uses = index.takeUnwritten(256);
      assertEquals(expected, uses.size());
      uses.forEach(use -> taken.add(use.id()));
    }
    assertEquals(ids.size(), taken.size());
    assertEquals(new java.util.HashSet<>(ids), new java.util.HashSet<>(taken));
  }

  /**
   * Two threads touch sessions while a third takes their unwritten uses, as a flush does, and
   * sessions come and go: the last use each session has in memory is always among those taken.
   */
  @Test
  void takes_raceTouchesAndSlotReuse_noLastUseIsMissed() throws Exception {
    long seed = TestSeed.of("CompactLiveIndexUnwrittenTest");
    CompactLiveIndex index = new CompactLiveIndex();
    List<SessionId> lasting = new ArrayList<>();
    Random random = new Random(seed);
    for (int n = 0; n < 200; n++) {
      SessionId id = SessionId.of(random.nextLong(), random.nextLong());
      create(index, id, END);
      lasting.add(id);
    }
    AtomicLong clock = new AtomicLong();
    Map<SessionId, Instant> taken = new ConcurrentHashMap<>();
    AtomicBoolean done = new AtomicBoolean();
    Thread taker = new Thread(() -> {
      while (!done.get()) {
        keepLatest(taken, index.takeUnwritten(16));
      }
    });
    List<Thread> touchers = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      Random mine = new Random(seed + t);
      touchers.add(new Thread(() -> {
        for (int n = 0; n < 40_000; n++) {
          Instant at = T0.plusNanos(clock.incrementAndGet());
          index.touchIfLive(lasting.get(mine.nextInt(lasting.size())), at, END);
        }
      }));
    }
    taker.start();
    touchers.forEach(Thread::start);
    Instant briefEnd = T0;
    for (int round = 0; round < 2_000; round++) {
      // Brief sessions, used once and purged, so the slots of sessions with uses are reused.
      briefEnd = briefEnd.plusSeconds(1);
      SessionId brief = SessionId.of(random.nextLong(), random.nextLong());
      create(index, brief, briefEnd.plusSeconds(1));
      index.touchIfLive(brief, briefEnd, briefEnd.plusSeconds(1));
      index.purge(briefEnd.plusSeconds(1));
    }
    for (Thread toucher : touchers) {
      toucher.join();
    }
    done.set(true);
    taker.join();
    keepLatest(taken, index.takeUnwritten(Integer.MAX_VALUE));

    assertEquals(0, index.unwrittenCount());
    Map<SessionId, Instant> inMemory = new HashMap<>();
    index.forEachSession(session -> inMemory.put(session.id(), session.session().lastUsedAt()));
    for (SessionId id : lasting) {
      if (!inMemory.get(id).equals(T0)) {
        assertEquals(inMemory.get(id), taken.get(id), TestSeed.replay(seed));
      }
    }
    for (SessionId id : taken.keySet()) {
      assertTrue(lasting.contains(id) || !inMemory.containsKey(id),
          "a use taken for a session that never had one: " + TestSeed.replay(seed));
    }
  }

  private static void keepLatest(Map<SessionId, Instant> taken, List<LogEntry.Use> uses) {
    for (LogEntry.Use use : uses) {
      taken.merge(use.id(), use.lastUsedAt(), (a, b) -> a.isAfter(b) ? a : b);
    }
  }

  private static void create(CompactLiveIndex index, SessionId id, Instant expires) {
    TokenHash token = TokenHash.sha256Words(id.high() * 31 + 7, id.low(), id.high(), 13);
    index.create(SessionRecord.of(new Session(id, "user-" + id.low(), null, T0, T0, expires),
        null, null), List.of(TokenRecord.of(token, id)));
  }
}
