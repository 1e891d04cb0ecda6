package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.store.file.RandomSessions.numbered;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uses replayed into an index whose slots are a snapshot's mapped pages are kept beside the
 * slots ({@link PendingUses}) until the index serves, and written into them then. Whatever the
 * moment, every reader must see them: a session kept alive by use before a restart must not
 * read as idle, expire, or be purged after it, and a slot a session leaves must not hand its
 * uses to the next.
 */
class ReplayedUsesTest {

  private static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");
  private static final int SESSIONS = 2_000;
  /** Before the replay: used at T0, expiring at T0 + 60 s. */
  private static final Instant EXPIRES = T0.plusSeconds(60);
  /** What the log's tail says of every even session. */
  private static final Instant USED = T0.plusSeconds(30);
  private static final Instant EXTENDED = T0.plusSeconds(90);

  @TempDir
  Path dir;

  @Test
  void replayedUses_areKeptBesideTheMappedSlots_andEveryReaderSeesThem() throws IOException {
    CompactLiveIndex index = replayed();
    assertEquals(SESSIONS / 2, index.pendingUses(), "kept beside the slots, not written");
    assertReadsTouched(index);
    Instant between = T0.plusSeconds(70);
    assertEquals(SESSIONS / 2, index.liveCount(between), "the touched outlive their old expiry");
    List<SessionRecord> all = new ArrayList<>();
    index.forEachSession(all::add);
    assertEquals(SESSIONS, all.size());
    for (SessionRecord session : all) {
      int n = (int) session.id().high();
      assertEquals(n % 2 == 0 ? EXTENDED : EXPIRES, session.expiresAt(), "session " + n);
    }
    assertEquals(SESSIONS / 2, index.purge(between).sessions(), "only the untouched expired");
    for (int n = 0; n < SESSIONS; n += 2) {
      assertEquals(USED, index.find(numbered(n)).orElseThrow().session().session().lastUsedAt());
    }
  }

  @Test
  void writingThem_inSteps_changesNothingAnyReaderSees() throws IOException {
    CompactLiveIndex index = replayed();
    int left = index.pendingUses();
    while (left > 0) {
      int now = index.writePending(97);
      assertTrue(now < left, "each step writes some");
      left = now;
      assertReadsTouched(index);
    }
    assertEquals(0, index.pendingUses());
  }

  @Test
  void serving_writesThemOnAThreadOfItsOwn() throws Exception {
    CompactLiveIndex index = replayed();
    index.serving(false, copy -> {});
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (index.pendingUses() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(0, index.pendingUses());
    assertReadsTouched(index);
  }

  /**
   * The uses kept for a slot belong to the session in it: a session purged from the slot leaves
   * them behind, and a later one in the same slot, used earlier than they say, must read its own.
   */
  @Test
  void aSlotALeavingSessionFrees_doesNotPassItsUsesToTheNext() throws IOException {
    LiveIndex index = LiveIndex.create();
    for (int n = 0; n < 100; n++) {
      index.create(SessionRecord.of(new Session(id(n), "user-" + n, null, T0, T0,
          n == 0 ? EXPIRES : T0.plusSeconds(3_600)), null, null),
          List.of(TokenRecord.of(numbered(n), id(n))));
    }
    CompactLiveIndex read = ImageRoundTrip.mapped(index, dir.resolve("image"));
    read.touch(id(0), USED, EXTENDED);
    assertEquals(1, read.pendingUses());
    assertEquals(1, read.purge(T0.plusSeconds(100)).sessions(), "only the first has expired");
    // The one free slot, the first session's, takes a session used earlier than its uses say.
    read.create(SessionRecord.of(new Session(id(500), "late", null, T0.plusSeconds(1),
        T0.plusSeconds(1), T0.plusSeconds(20)), null, null),
        List.of(TokenRecord.of(numbered(500), id(500))));
    Session late = read.find(numbered(500)).orElseThrow().session().session();
    assertEquals(T0.plusSeconds(1), late.lastUsedAt());
    assertEquals(T0.plusSeconds(20), late.expiresAt());
    assertEquals(1, read.liveCount(T0.plusSeconds(19)) - 99);
    assertEquals(0, read.liveCount(T0.plusSeconds(21)) - 99, "expires when its own expiry says");
    read.writePending(Integer.MAX_VALUE);
    late = read.find(numbered(500)).orElseThrow().session().session();
    assertEquals(T0.plusSeconds(1), late.lastUsedAt());
    assertEquals(T0.plusSeconds(20), late.expiresAt());
  }

  /** An index a compaction replaced is read only by lookups already under way. */
  @Test
  void aRetiredIndex_stopsWritingThem_andStillReadsThem() throws IOException {
    CompactLiveIndex index = replayed();
    index.retire();
    assertEquals(0, index.writePending(Integer.MAX_VALUE));
    assertEquals(SESSIONS / 2, index.pendingUses());
    assertReadsTouched(index);
  }

  @Test
  void aSnapshot_holdsThem() throws IOException {
    CompactLiveIndex index = replayed();
    LiveIndex read = ImageRoundTrip.of(index);
    assertReadsTouched(read);
    assertEquals(SESSIONS / 2, index.pendingUses(), "written into the image, not the slots");
    assertReadsTouched(index);
  }

  @Test
  void aLaterUse_ofASessionWithOneKept_movesItOnlyForward() throws IOException {
    CompactLiveIndex index = replayed();
    assertFalse(index.touchIfLive(id(2), T0.plusSeconds(10), T0.plusSeconds(70)),
        "older than the use kept: no change, as it would be in the slot");
    assertTrue(index.takeUnwritten(10).isEmpty());
    Session session = index.find(numbered(2)).orElseThrow().session().session();
    assertEquals(USED, session.lastUsedAt());
    assertEquals(EXTENDED, session.expiresAt());
    assertTrue(index.touchIfLive(id(4), T0.plusSeconds(50), T0.plusSeconds(120)));
    session = index.find(numbered(4)).orElseThrow().session().session();
    assertEquals(T0.plusSeconds(50), session.lastUsedAt());
    assertEquals(T0.plusSeconds(120), session.expiresAt());
    index.writePending(Integer.MAX_VALUE);
    assertEquals(T0.plusSeconds(120),
        index.find(numbered(4)).orElseThrow().session().expiresAt());
    assertEquals(EXTENDED, index.find(numbered(2)).orElseThrow().session().expiresAt());
  }

  /** Lock-free lookups race the writing of the kept uses: none may read a slot's old use. */
  @Test
  void lookupsRacingTheWriting_neverSeeAnOldUse() throws Exception {
    for (int round = 0; round < 5; round++) {
      CompactLiveIndex index = replayed();
      AtomicReference<String> wrong = new AtomicReference<>();
      Thread[] readers = new Thread[2];
      for (int r = 0; r < readers.length; r++) {
        int offset = r;
        readers[r] = new Thread(() -> {
          for (int i = 0; wrong.get() == null && index.pendingUses() > 0 || i < 20_000; i++) {
            int n = 2 * ((i * 7 + offset * 501) % (SESSIONS / 2));
            Session read = index.find(numbered(n)).orElseThrow().session().session();
            if (!read.lastUsedAt().equals(USED) || !read.expiresAt().equals(EXTENDED)) {
              wrong.compareAndSet(null, "session " + n + " read " + read);
            }
          }
        });
        readers[r].start();
      }
      while (index.writePending(3) > 0) {
        Thread.onSpinWait();
      }
      for (Thread reader : readers) {
        reader.join();
      }
      assertEquals(null, wrong.get());
    }
  }

  /**
   * A real store, compacted so that its sessions are an image's mapped slots, whose sessions
   * were kept alive by use before a restart: after it, past the expiry their last snapshot gave
   * them, they are live, a purge keeps them, and they stay so through another compaction and
   * restart.
   */
  @Test
  void aStore_restartedWithUsesInItsTail_keepsTheSessionsTheyKeptAlive() {
    List<TokenHash> hashes = new ArrayList<>();
    List<SessionId> ids = new ArrayList<>();
    try (FileTokenStore store = store(T0)) {
      for (int n = 0; n < 300; n++) {
        SessionId id = id(n);
        store.create(SessionRecord.of(new Session(id, "user-" + n / 3, "Firefox", T0, T0,
            EXPIRES), null, null), List.of(TokenRecord.of(numbered(n), id)));
        hashes.add(numbered(n));
        ids.add(id);
      }
      store.compact();
      for (int n = 0; n < 300; n += 2) {
        store.touch(ids.get(n), USED, EXTENDED);
      }
    }
    Instant between = T0.plusSeconds(70);
    for (int restart = 0; restart < 2; restart++) {
      try (FileTokenStore store = store(between)) {
        for (int n = 0; n < 300; n++) {
          var found = store.find(hashes.get(n));
          if (restart == 0 || n % 2 == 0) {
            Session session = found.orElseThrow().session().session();
            assertEquals(n % 2 == 0 ? EXTENDED : EXPIRES, session.expiresAt(), "session " + n);
            assertEquals(n % 2 == 0 ? USED : T0, session.lastUsedAt(), "session " + n);
          } else {
            assertTrue(found.isEmpty(), "purged: session " + n);
          }
        }
        assertEquals(150, store.liveCount());
        if (restart == 0) {
          assertEquals(150, store.purgeExpired(between));
          store.compact();
        }
      }
    }
  }

  private FileTokenStore store(Instant now) {
    return FileTokenStore.builder().directory(dir.resolve("store"))
        .clock(java.time.Clock.fixed(now, java.time.ZoneOffset.UTC))
        .durability(Durability.NONE).build();
  }

  /** Every even session read as touched, every odd one as before. */
  private static void assertReadsTouched(LiveIndex index) {
    for (int n = 0; n < SESSIONS; n++) {
      Session session = index.find(numbered(n)).orElseThrow().session().session();
      assertEquals(n % 2 == 0 ? USED : T0, session.lastUsedAt(), "session " + n);
      assertEquals(n % 2 == 0 ? EXTENDED : EXPIRES, session.expiresAt(), "session " + n);
      assertEquals(session, index.findSession(id(n)).orElseThrow().session());
    }
    Session first = index.findSessions("user-0").get(0).session();
    assertEquals(USED, first.lastUsedAt());
  }

  /**
   * An index of {@link #SESSIONS} plain sessions read back from its snapshot's image mapped from
   * a file, as open reads it, then every even session's use replayed, as a log's tail holds it.
   */
  private CompactLiveIndex replayed() throws IOException {
    LiveIndex index = LiveIndex.create();
    for (int n = 0; n < SESSIONS; n++) {
      index.create(SessionRecord.of(new Session(id(n), "user-" + n / 2, "Firefox", T0, T0,
          EXPIRES), null, null), List.of(TokenRecord.of(numbered(n), id(n))));
    }
    CompactLiveIndex read = ImageRoundTrip.mapped(index, dir.resolve("image-" + System.nanoTime()));
    for (int n = 0; n < SESSIONS; n += 2) {
      read.touch(id(n), USED, EXTENDED);
    }
    return read;
  }

  private static SessionId id(int n) {
    return SessionId.of(n, ~n);
  }
}
