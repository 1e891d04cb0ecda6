package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uses a reopened store replays from its log are written already: the store must not count them
 * as unwritten, nor write them again. Else every open writes a use record for each session used
 * since the last snapshot, uses no caller made in that run.
 */
class ReopenUnwrittenUsesTest {

  private static final int SESSIONS = 50;

  @TempDir
  Path dir;

  @TempDir
  Path other;

  @Test
  void reopened_afterUsesWereWritten_hasNoUnwrittenUse_andAnOpenAndCloseWriteNothing() {
    List<Issued> sessions = new ArrayList<>();
    try (FileTokenStore store = open()) {
      for (int i = 0; i < SESSIONS; i++) {
        Issued issued = Issued.create(store, "user" + i);
        store.touch(issued.session().id(), T0.plusSeconds(60), T0.plusSeconds(7200));
        sessions.add(issued);
      }
      assertEquals(SESSIONS, store.stats().touchBacklog());
    } // the close writes every use

    FileTokenStore reopened = open(dir);
    long logBytesAtOpen = reopened.stats().logBytes();
    long backlog = reopened.stats().touchBacklog();
    reopened.close();
    assertEquals(0, backlog, "uses replayed from the log counted as unwritten");
    assertEquals(closeMarkBytes(), reopened.stats().logBytes() - logBytesAtOpen,
        "an open and a close with no call between wrote more than the close's mark");
    try (FileTokenStore again = open()) {
      for (Issued issued : sessions) {
        assertEquals(T0.plusSeconds(60),
            again.findSession(issued.session().id()).orElseThrow().session().lastUsedAt());
      }
    }
  }

  /** What a close writes to a store that had no call since it opened. */
  private long closeMarkBytes() {
    FileTokenStore empty = open(other);
    long atOpen = empty.stats().logBytes();
    empty.close();
    return empty.stats().logBytes() - atOpen;
  }

  private FileTokenStore open() {
    return open(dir);
  }

  private static FileTokenStore open(Path directory) {
    return FileTokenStore.builder().directory(directory).touchPersistInterval(Duration.ofHours(1))
        .build();
  }
}
