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

    FileTokenStore reopened = open();
    long logBytesAtOpen = reopened.stats().logBytes();
    long backlog = reopened.stats().touchBacklog();
    reopened.close();
    assertEquals(0, backlog, "uses replayed from the log counted as unwritten");
    assertEquals(logBytesAtOpen, reopened.stats().logBytes(),
        "an open and a close with no call between wrote records");
    try (FileTokenStore again = open()) {
      for (Issued issued : sessions) {
        assertEquals(T0.plusSeconds(60),
            again.findSession(issued.session().id()).orElseThrow().session().lastUsedAt());
      }
    }
  }

  private FileTokenStore open() {
    return FileTokenStore.builder().directory(dir).touchPersistInterval(Duration.ofHours(1))
        .build();
  }
}
