package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TestSeed;
import dev.tokenkeeper.core.TokenEntry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real threads race every operation that touches a session's uses on one store: two threads look
 * sessions up and use them (each lookup leaving the slot hint a use tries first), while a third
 * creates short sessions that a use keeps alive past a purge, purges them as they end (their
 * slots go to the next ones), logs sessions out, and the touch timer flushes uses every few
 * milliseconds. Then:
 *
 * <ul>
 *   <li>each use landed on its own session alone: a session never logged out holds its latest
 *       use, one logged out holds what it held at its logout, and no short session was given a
 *       long one's expiry (all of them end);
 *   <li>the store is closed, killed, or loses power, and reopened: after a close it holds exactly
 *       what memory held; after a crash every session memory holds is there, logged out ones
 *       exactly as memory holds them, the others at most as recently used; nothing purged or
 *       never created comes back.
 * </ul>
 */
class TouchRaceReplayTest {

  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final Instant END = T0.plusSeconds(10_000_000);
  private static final int LASTING = 64;
  private static final int ROUNDS = 3_000;

  enum Ending { CLOSE, KILL, POWER_CUT }

  @TempDir
  Path tmp;

  @ParameterizedTest
  @EnumSource(Ending.class)
  void usesRacingLookupsPurgesAndLogouts_landOnTheirOwnSessions_andReplayAsMemoryIssuedThem(
      Ending ending) throws Exception {
    long seed = TestSeed.of("TouchRaceReplayTest " + ending);
    String replay = TestSeed.replay(seed);
    Random random = new Random(seed);
    Path dir = tmp.resolve("store").toAbsolutePath().normalize();
    PowerCutDisk disk = new PowerCutDisk(dir, seed, EnumSet.allOf(PowerCutDisk.Tail.class));
    MutableClock clock = new MutableClock(T0);
    FileTokenStore store = open(dir, disk, clock);

    List<Issued> lasting = new ArrayList<>();
    for (int i = 0; i < LASTING; i++) {
      lasting.add(Issued.create(store, random, "user" + (i % 8), "device " + i, T0, END));
    }
    Map<SessionId, Instant> latestUse = new ConcurrentHashMap<>();
    Map<SessionId, SessionRecord> atLogout = new ConcurrentHashMap<>();
    Set<SessionId> brief = ConcurrentHashMap.newKeySet();
    AtomicLong nanos = new AtomicLong();
    AtomicBoolean done = new AtomicBoolean();
    long[] seeds = random.longs(3).toArray();
    Instant[] lastPurge = new Instant[1];

    Concurrently.run(3, thread -> {
      Random mine = new Random(seeds[thread]);
      if (thread < 2) {
        try {
          while (!done.get()) {
            Issued held = lasting.get(mine.nextInt(LASTING));
            Optional<TokenEntry> found = store.find(held.hash());
            assertTrue(found.isPresent(), replay);
            Session session = found.get().session().session();
            assertEquals(held.id(), session.id(), replay);
            assertEquals(held.subject(), session.subject(), replay);
            assertEquals(held.label(), session.label(), replay);
            // Uses only move forward, so the largest tried is what a live session holds.
            Instant at = T0.plusNanos(nanos.incrementAndGet());
            latestUse.merge(held.id(), at, (a, b) -> a.isAfter(b) ? a : b);
            store.touch(held.id(), at, END);
          }
        } finally {
          done.set(true);
        }
        return null;
      }
      try {
        for (int round = 1; round <= ROUNDS; round++) {
          Instant now = T0.plusSeconds(round);
          clock.set(now);
          // A short session, which its use keeps alive past the purge just after: that use must
          // be written before the purge's record, or replay drops what memory kept.
          Issued shortOne = Issued.create(store, mine, "brief" + mine.nextInt(4),
              mine.nextInt(3) == 0 ? "brief label " + round : "shared " + mine.nextInt(3),
              now, now.plusSeconds(1));
          brief.add(shortOne.id());
          store.touch(shortOne.id(), now.plusMillis(500), now.plusSeconds(3));
          if (mine.nextInt(7) == 0) {
            assertTrue(store.revokeSession(shortOne.id(), now.plusMillis(600)), replay);
          }
          store.purgeExpired(now.plusSeconds(2));
          lastPurge[0] = now.plusSeconds(2);
          if (mine.nextInt(40) == 0) {
            Issued target = lasting.get(mine.nextInt(LASTING));
            if (store.revokeSession(target.id(), now)) {
              atLogout.put(target.id(), store.findSession(target.id()).orElseThrow());
            }
          }
        }
      } finally {
        done.set(true);
      }
      return null;
    });

    for (Issued held : lasting) {
      SessionRecord now = store.findSession(held.id()).orElseThrow();
      if (atLogout.containsKey(held.id())) {
        assertEquals(atLogout.get(held.id()), now, "a logged out session changed: " + replay);
      } else {
        assertEquals(latestUse.getOrDefault(held.id(), T0), now.session().lastUsedAt(),
            "a session does not hold its latest use: " + replay);
        assertEquals(END, now.session().expiresAt(), replay);
      }
    }
    // Every short session ends within seconds: one that a long session's use reached would not.
    Instant beyond = lastPurge[0].plusSeconds(5);
    store.purgeExpired(beyond);
    for (SessionId id : brief) {
      assertFalse(store.findSession(id).isPresent(),
          "a short session outlived its end: " + store.findSession(id) + " " + replay);
    }
    // Leaves some uses unwritten, and one short session whose use kept it past a purge.
    Instant after = beyond.plusSeconds(1);
    Issued last = Issued.create(store, random, "brief0", "shared 0", after, after.plusSeconds(1));
    brief.add(last.id());
    store.touch(last.id(), after.plusMillis(500), after.plusSeconds(3));
    for (Issued held : lasting.subList(0, 8)) {
      store.touch(held.id(), after, END);
    }
    // One the purge forgets, so that it writes its record, after which replay would drop `last`.
    Issued gone = Issued.create(store, random, "brief1", null, after, after.plusSeconds(1));
    brief.add(gone.id());
    assertEquals(1, store.purgeExpired(after.plusSeconds(2)), replay);

    Map<SessionId, Optional<SessionRecord>> memory = new HashMap<>();
    for (Issued held : lasting) {
      memory.put(held.id(), store.findSession(held.id()));
    }
    for (SessionId id : brief) {
      memory.put(id, store.findSession(id));
    }
    int liveInMemory = store.liveCount();
    switch (ending) {
      case CLOSE -> store.close();
      case KILL -> store.abandon();
      case POWER_CUT -> {
        store.abandon();
        disk.powerCut();
      }
    }
    try (FileTokenStore reopened = open(dir, disk, clock)) {
      for (Map.Entry<SessionId, Optional<SessionRecord>> held : memory.entrySet()) {
        Optional<SessionRecord> replayed = reopened.findSession(held.getKey());
        if (ending == Ending.CLOSE || held.getValue().isEmpty()
            || held.getValue().get().isRevoked()) {
          assertEquals(held.getValue(), replayed, "replay differs from memory: " + replay);
          continue;
        }
        Session inMemory = held.getValue().get().session();
        Session session = replayed.orElseThrow(() -> new AssertionError(
            "an acknowledged session is gone: " + held.getKey() + " " + replay)).session();
        assertFalse(replayed.get().isRevoked(), replay);
        assertFalse(session.lastUsedAt().isAfter(inMemory.lastUsedAt()), replay);
        assertFalse(session.expiresAt().isAfter(inMemory.expiresAt()), replay);
      }
      assertEquals(liveInMemory, reopened.liveCount(), "sessions came back or went: " + replay);
    }
  }

  private static FileTokenStore open(Path dir, PowerCutDisk disk, MutableClock clock) {
    return FileTokenStore.builder().directory(dir).disk(disk).clock(clock)
        .durability(Durability.SYNC).touchPersistInterval(Duration.ofMillis(5))
        .compactionThreshold(256 * 1024).build();
  }
}
