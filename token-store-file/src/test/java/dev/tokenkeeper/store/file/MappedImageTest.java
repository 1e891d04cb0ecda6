package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store opened from a snapshot with an image (format 5 on) serves from the image mapped
 * copy-on-write: every change it makes to those sessions lands in memory and in the log, never in
 * the snapshot file, and a reopen finds each change.
 */
class MappedImageTest {

  private static final Instant T0 = Instant.parse("2026-05-01T00:00:00Z");
  private static final int SESSIONS = 2_000;

  @TempDir
  Path dir;

  /** Spread as random ids and digests are (an odd multiplier keeps them distinct). */
  private static SessionId id(int n) {
    return SessionId.of(n * 0x9E37_79B9_7F4A_7C15L, n * 0xC2B2_AE3D_27D4_EB4FL);
  }

  private static TokenHash hash(int n) {
    return TokenHash.sha256Words(n * 0xD6E8_FEB8_6659_FD93L, 3L * n, 5L * n, 7L * n);
  }

  private final MutableClock clock = new MutableClock(T0);

  private FileTokenStore open() {
    return FileTokenStore.builder().directory(dir).clock(clock)
        .compactionThreshold(Long.MAX_VALUE).build();
  }

  @Test
  void changesToMappedSessions_neverReachTheSnapshotFile_andSurviveAReopen() throws IOException {
    try (FileTokenStore store = open()) {
      for (int n = 0; n < SESSIONS; n++) {
        store.create(SessionRecord.of(new Session(id(n), "user" + n % 50, "device " + n % 7, T0,
            T0, T0.plusSeconds(3600)), null, null), List.of(TokenRecord.of(hash(n), id(n))));
      }
      store.compact();
    }
    Path snapshot = snapshot();
    byte[] before = Files.readAllBytes(snapshot);
    assertEquals(Frames.VERSION, before[Frames.HEADER - 1]);

    Instant later = T0.plusSeconds(600);
    try (FileTokenStore store = open()) {
      assertEquals(SESSIONS, store.liveCount());
      for (int n = 0; n < SESSIONS; n += 2) {
        store.touch(id(n), later, later.plusSeconds(3600));
      }
      for (int n = 1; n < SESSIONS; n += 10) {
        assertTrue(store.revokeSession(id(n), later));
      }
      assertEquals(later, store.findSession(id(0)).orElseThrow().session().lastUsedAt());
      store.create(SessionRecord.of(new Session(id(SESSIONS), "user0", null, T0, T0,
          T0.plusSeconds(60)), null, null), List.of(TokenRecord.of(hash(SESSIONS), id(SESSIONS))));
      assertArrayEquals(before, Files.readAllBytes(snapshot), "the snapshot changed under the store");
    }
    assertArrayEquals(before, Files.readAllBytes(snapshot), "the snapshot changed at close");

    try (FileTokenStore store = open()) {
      assertEquals(later, store.findSession(id(0)).orElseThrow().session().lastUsedAt());
      assertEquals(T0, store.findSession(id(2 * 3 + 1)).orElseThrow().session().lastUsedAt());
      assertTrue(store.findSession(id(11)).orElseThrow().isRevoked());
      assertFalse(store.findSession(id(12)).orElseThrow().isRevoked());
      assertEquals(SESSIONS + 1, store.findSessions("user0").size() + 49 * (SESSIONS / 50));
      assertEquals(id(SESSIONS), store.find(hash(SESSIONS)).orElseThrow().session().id());
      store.compact();
    }
    try (FileTokenStore store = open()) {
      assertEquals(later, store.findSession(id(0)).orElseThrow().session().lastUsedAt());
      assertTrue(store.findSession(id(11)).orElseThrow().isRevoked());
      assertEquals(SESSIONS + 1, store.findSessions("user0").size() + 49 * (SESSIONS / 50));
    }
  }

  @Test
  void aMappedSnapshotDeletedByCompaction_keepsServingItsSessions() throws IOException {
    try (FileTokenStore store = open()) {
      for (int n = 0; n < SESSIONS; n++) {
        store.create(SessionRecord.of(new Session(id(n), "user" + n % 50, "device " + n % 7, T0,
            T0, T0.plusSeconds(n % 3 == 0 ? 60 : 3600)), null, null),
            List.of(TokenRecord.of(hash(n), id(n))));
      }
      store.compact();
    }
    Instant later = T0.plusSeconds(600);
    clock.set(later);
    int revoked = 0;
    try (FileTokenStore store = open()) {
      Path mapped = snapshot();
      store.compact(); // forgets every third session, and deletes the snapshot the store maps
      assertFalse(Files.exists(mapped), "the mapped snapshot is deleted");
      for (int n = 0; n < SESSIONS; n++) {
        assertEquals(n % 3 != 0, store.find(hash(n)).isPresent(), "session " + n);
        if (n % 3 == 1) {
          store.touch(id(n), later, later.plusSeconds(7200));
        } else if (n % 3 == 2) {
          assertTrue(store.revokeSession(id(n), later));
          revoked++;
        }
      }
      for (int n = SESSIONS; n < 2 * SESSIONS; n++) {
        store.create(SessionRecord.of(new Session(id(n), "user" + n % 50, null, later, later,
            later.plusSeconds(7200)), null, null), List.of(TokenRecord.of(hash(n), id(n))));
      }
      clock.set(T0.plusSeconds(3600));
      assertEquals(revoked, store.purgeExpired(clock.instant()), "the revoked ones expired");
      store.compact();
    }
    try (FileTokenStore store = open()) {
      for (int n = 0; n < 2 * SESSIONS; n++) {
        boolean kept = n >= SESSIONS || n % 3 == 1;
        assertEquals(kept, store.find(hash(n)).isPresent(), "session " + n);
        if (kept) {
          assertEquals(later, store.findSession(id(n)).orElseThrow().session().lastUsedAt());
        }
      }
    }
  }

  private Path snapshot() throws IOException {
    try (var files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("snapshot-")).findFirst()
          .orElseThrow();
    }
  }
}
