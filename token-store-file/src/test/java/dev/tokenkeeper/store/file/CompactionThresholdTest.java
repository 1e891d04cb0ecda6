package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.store.file.RandomSessions.numbered;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unless set, a compaction starts once the log passes half the last snapshot (4 MiB at least,
 * 64 MiB at most): an open replays the log since the snapshot, some ten times dearer a record
 * than a snapshot's session, so a small store is not left with 64 MiB of uses to replay.
 */
class CompactionThresholdTest {

  private static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");
  private static final long MIB = 1 << 20;

  @TempDir
  Path dir;

  @Test
  void aStoreWithoutASnapshot_compactsAtFourMiB() {
    try (FileTokenStore store = open(FileTokenStore.builder())) {
      assertEquals(4 * MIB, store.compactionThreshold());
    }
  }

  @Test
  void theThreshold_isHalfTheLastSnapshot_andAnOpenTakesItFromTheSnapshot() throws IOException {
    try (FileTokenStore store = open(FileTokenStore.builder())) {
      for (int n = 0; n < 100_000; n++) {
        SessionId id = SessionId.of(n, ~n);
        store.create(SessionRecord.of(new Session(id, "user-" + n / 2, "Firefox", T0, T0,
            T0.plusSeconds(3_600)), null, null), List.of(TokenRecord.of(numbered(n), id)));
      }
      store.compact();
      long snapshot = snapshotBytes();
      assertTrue(snapshot > 8 * MIB, "a snapshot past twice the least threshold: " + snapshot);
      assertEquals(snapshot / 2, store.compactionThreshold());
    }
    try (FileTokenStore store = open(FileTokenStore.builder())) {
      assertEquals(snapshotBytes() / 2, store.compactionThreshold());
    }
  }

  @Test
  void aThresholdSet_staysAsSet() throws IOException {
    try (FileTokenStore store = open(FileTokenStore.builder().compactionThreshold(1_000))) {
      assertEquals(1_000, store.compactionThreshold());
      SessionId id = SessionId.of(1, 1);
      store.create(SessionRecord.of(new Session(id, "user", null, T0, T0,
          T0.plusSeconds(3_600)), null, null), List.of(TokenRecord.of(numbered(1), id)));
      store.compact();
      assertEquals(1_000, store.compactionThreshold());
    }
  }

  private FileTokenStore open(FileTokenStore.Builder builder) {
    return builder.directory(dir).clock(Clock.fixed(T0, ZoneOffset.UTC))
        .durability(Durability.NONE).build();
  }

  private long snapshotBytes() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(file -> file.getFileName().toString().startsWith("snapshot-"))
          .mapToLong(file -> file.toFile().length()).sum();
    }
  }
}
