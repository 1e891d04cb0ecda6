package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.TokenStoreContract.T0;
import static dev.tokenkeeper.core.TokenStoreContract.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.TokenRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fails each file operation of a compaction in turn (rotation, temp snapshot, its fsync, rename,
 * directory fsync, deletes), abandons the store as a crash would, and reopens: every acknowledged
 * issue and revoke must be there.
 */
class CompactionCrashTest {

  @TempDir
  Path tmp;

  private final MutableClock clock = new MutableClock(T0);

  @Test
  void compact_crashAtEachStep_reopensWithEveryAcknowledgedRecord() {
    List<String> steps = new ArrayList<>();
    for (int step = 0; step < 50; step++) {
      Path dir = tmp.resolve("step-" + step);
      FaultyDisk disk = new FaultyDisk();
      List<TokenRecord> live = new ArrayList<>();
      List<TokenRecord> revoked = new ArrayList<>();
      FileTokenStore store =
          FileTokenStore.builder().directory(dir).disk(disk).clock(clock).build();
      // A first compaction, so the crashing one also has an old snapshot to replace.
      fill(store, live, revoked);
      store.compact();
      fill(store, live, revoked);
      disk.failAfter(step);
      try {
        store.compact();
      } catch (RuntimeException expected) {
        // the injected failure
      }
      String failed = disk.failedAt();
      store.abandon();
      try (FileTokenStore reopened =
          FileTokenStore.builder().directory(dir).clock(clock).build()) {
        for (TokenRecord record : live) {
          assertEquals(Optional.of(record), reopened.find(record.hash()), "after " + failed);
        }
        for (TokenRecord record : revoked) {
          assertTrue(reopened.find(record.hash()).map(TokenRecord::isRevoked).orElse(true),
              "revoked after " + failed);
        }
        assertEquals(live.size(), reopened.liveCount(), "after " + failed);
      }
      if (failed == null) {
        assertTrue(steps.size() >= 6, "every step was failed once: " + steps);
        return;
      }
      steps.add(failed);
    }
    throw new AssertionError("compaction never completed: " + steps);
  }

  private static void fill(
      FileTokenStore store, List<TokenRecord> live, List<TokenRecord> revoked) {
    for (int i = 0; i < 20; i++) {
      TokenRecord record = record("user" + (i % 3), Duration.ofDays(1));
      store.save(record);
      if (i % 4 == 0) {
        store.revoke(record.hash(), T0.plusSeconds(i));
        revoked.add(record);
      } else {
        live.add(record);
      }
    }
  }
}
