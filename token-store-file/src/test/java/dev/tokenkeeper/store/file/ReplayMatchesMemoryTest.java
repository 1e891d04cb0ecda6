package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenEntry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a clean close, a reopened store holds what memory held: the log's replay and memory
 * decide each session's expiry, and so its purge, from the same times.
 */
class ReplayMatchesMemoryTest {

  @TempDir
  Path dir;

  @Test
  void aUseNotYetWritten_thenALogout_survivesACleanClose_withTheSessionsExpiryAsMemoryHadIt() {
    Issued issued;
    Optional<SessionRecord> inMemory;
    try (FileTokenStore store = FileTokenStore.builder().directory(dir)
        .touchPersistInterval(Duration.ofHours(1)).build()) {
      issued = Issued.create(store, "alice", Duration.ofMinutes(10)); // ends at T0 + 10 min
      // A use extends it to T0 + 1 h in memory; the touch timer has not written it yet.
      store.touch(issued.session().id(), T0.plusSeconds(60), T0.plusSeconds(3600));
      assertTrue(issued.revoke(store, T0.plusSeconds(90)), "logged out");
      // Memory keeps the revoked session until T0 + 1 h, so a purge at T0 + 20 min keeps it.
      assertEquals(0, store.purgeExpired(T0.plusSeconds(1200)));
      inMemory = store.findSession(issued.session().id());
      assertTrue(inMemory.isPresent(), "memory keeps the revoked session");
    }
    try (FileTokenStore reopened = FileTokenStore.open(dir)) {
      assertEquals(inMemory, reopened.findSession(issued.session().id()),
          "the reopened store holds the session as memory held it at close");
    }
  }

  @Test
  void aLoggedOutSessionMemoryStillKnows_isStillKnownAfterACompactionAndAReopen() {
    Issued issued;
    Optional<TokenEntry> inMemory;
    MutableClock clock = new MutableClock(T0.plusSeconds(1200));
    try (FileTokenStore store = FileTokenStore.builder().directory(dir).clock(clock)
        .touchPersistInterval(Duration.ofHours(1)).build()) {
      issued = Issued.create(store, "alice", Duration.ofMinutes(10));
      store.touch(issued.session().id(), T0.plusSeconds(60), T0.plusSeconds(3600));
      assertTrue(issued.revoke(store, T0.plusSeconds(90)), "logged out");
      store.compact(); // forgets what has ended at T0 + 20 min; memory's session ends at T0 + 1 h
      inMemory = store.find(issued.hash());
      assertTrue(inMemory.isPresent(), "memory still knows the revoked token");
    }
    try (FileTokenStore reopened = FileTokenStore.builder().directory(dir).clock(clock).build()) {
      assertEquals(inMemory, reopened.find(issued.hash()),
          "the reopened store knows the revoked token as memory did");
    }
  }
}
