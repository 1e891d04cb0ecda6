package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.store.file.RandomSessions.numbered;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.Session;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same history on a store whose snapshot is mapped (its replayed uses kept beside the slots)
 * and on one whose disk cannot map (every use written straight into slots on the heap). Right
 * after a reopen, a use older than the one the log's tail holds must change nothing on either:
 * no use waiting to be written, and no byte more in the log.
 */
class ReplayedUsesBacklogTest {

  private static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");
  private static final int N = 40_000;

  @TempDir
  Path dir;

  @Test
  void anOlderUse_rightAfterAReopen_isNeitherCountedNorWritten() throws Exception {
    long[] mapped = run(dir.resolve("mapped"), Disk.system());
    // A FaultyDisk never armed is the real disk, but its files are copied, never mapped.
    long[] straight = run(dir.resolve("heap"), new FaultyDisk());
    assertEquals(0, straight[0]);
    assertEquals(straight[0], mapped[0], "stats().touchBacklog() right after the older use");
    assertEquals(straight[1], mapped[1], "bytes of the log after close");
  }

  /** {backlog after the older use, log bytes after close}. */
  private long[] run(Path store, Disk disk) throws IOException {
    MutableClock clock = new MutableClock(T0);
    SessionId last = null;
    try (FileTokenStore s = open(store, disk, clock)) {
      for (int n = 0; n < N; n++) {
        SessionId id = SessionId.of(n, ~n);
        s.create(SessionRecord.of(new Session(id, "u" + n % 100, null, T0, T0,
            T0.plusSeconds(600)), null, null), List.of(TokenRecord.of(numbered(n), id)));
        last = id;
      }
      s.compact();
      for (int n = 0; n < N; n++) {
        s.touch(SessionId.of(n, ~n), T0.plusSeconds(100), T0.plusSeconds(1_200));
      }
    }
    long backlog;
    try (FileTokenStore s = open(store, disk, clock)) {
      // the session in the last slot: the background writing reaches it last
      s.touch(last, T0.plusSeconds(50), T0.plusSeconds(700));
      backlog = s.stats().touchBacklog();
      assertEquals(T0.plusSeconds(1_200), s.findSession(last).orElseThrow().expiresAt());
    }
    long bytes;
    try (Stream<Path> files = Files.list(store)) {
      bytes = files.filter(p -> p.getFileName().toString().startsWith("log"))
          .mapToLong(p -> p.toFile().length()).sum();
    }
    return new long[] {backlog, bytes};
  }

  private static FileTokenStore open(Path store, Disk disk, MutableClock clock) {
    return FileTokenStore.builder().directory(store).clock(clock).durability(Durability.NONE)
        .compactionThreshold(Long.MAX_VALUE).disk(disk).build();
  }
}
