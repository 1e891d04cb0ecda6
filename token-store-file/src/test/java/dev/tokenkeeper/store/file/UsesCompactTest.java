package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store that only serves requests writes nothing but uses, and its log grows with them: it is
 * compacted once the log passes the threshold, as it would be after any other write, not left to
 * grow until the next login.
 */
class UsesCompactTest {

  @TempDir
  Path dir;

  @Test
  void usesAlone_passingTheThreshold_startACompaction() throws Exception {
    // The store's clock stands at the sessions' start, so a compaction keeps them.
    try (FileTokenStore store = FileTokenStore.builder().directory(dir)
        .clock(Clock.fixed(T0, ZoneOffset.UTC))
        .durability(Durability.NONE).compactionThreshold(64 * 1024)
        .touchPersistInterval(Duration.ofMillis(20)).build()) {
      List<Issued> sessions = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        sessions.add(Issued.create(store, "user" + i));
      }
      store.compact();
      long before = store.stats().compactions();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      // Uses only, each later than the last: a few tens of bytes a record.
      for (int second = 1; store.stats().compactions() == before
          && System.nanoTime() < deadline; second++) {
        for (Issued issued : sessions) {
          Instant used = issued.session().session().lastUsedAt().plusSeconds(second);
          store.touch(issued.session().id(), used, used.plusSeconds(7200));
        }
        Thread.sleep(25);
      }
      assertTrue(store.stats().compactions() > before,
          "no compaction while uses alone grew the log to " + store.stats().logBytes()
              + " bytes (threshold 65536)");
    }
  }
}
