package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.MutableClock;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenStoreContract;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fails each file operation of a compaction in turn (rotation, temp snapshot, its fsync, rename,
 * directory fsync, deletes), abandons the store as a crash would, and reopens: every acknowledged
 * session, revoke and rotation must be there.
 */
class CompactionCrashTest {

  @TempDir
  Path tmp;

  private final MutableClock clock = new MutableClock(T0);
  private static final List<TokenHash> ROTATED = new ArrayList<>();

  @Test
  void compact_crashAtEachStep_reopensWithEveryAcknowledgedRecord() {
    List<String> steps = new ArrayList<>();
    for (int step = 0; step < 50; step++) {
      Path dir = tmp.resolve("step-" + step);
      FaultyDisk disk = new FaultyDisk();
      ROTATED.clear();
      List<Issued> live = new ArrayList<>();
      List<Issued> revoked = new ArrayList<>();
      FileTokenStore store =
          FileTokenStore.builder().directory(dir).disk(disk).clock(clock).build();
      // A first compaction, so the crashing one also has an old snapshot to replace.
      fill(store, live, revoked);
      store.compact();
      fill(store, live, revoked);
      disk.failAfter(step);
      RuntimeException thrown = null;
      try {
        store.compact();
      } catch (RuntimeException e) {
        thrown = e;
      }
      String failed = disk.failedAt();
      if (failed == null) {
        assertNull(thrown, "nothing was injected, yet compaction failed");
      } else {
        assertTrue(causedBy(thrown, disk.injected()),
            "compaction must fail with the failure injected at " + failed + ", not: " + thrown);
      }
      store.abandon();
      try (FileTokenStore reopened =
          FileTokenStore.builder().directory(dir).clock(clock).build()) {
        for (Issued issued : live) {
          assertEquals(issued.session(), issued.in(reopened).orElseThrow(), "after " + failed);
        }
        for (Issued issued : revoked) {
          assertTrue(issued.isRevokedIn(reopened), "revoked after " + failed);
        }
        for (TokenHash rotated : ROTATED) {
          assertTrue(reopened.find(rotated).orElseThrow().token().isRotated(),
              "rotated after " + failed);
        }
        assertEquals(live.size() + 2, reopened.liveCount(), "after " + failed);
      }
      if (failed == null) {
        assertTrue(steps.size() >= 6, "every step was failed once: " + steps);
        return;
      }
      steps.add(failed);
    }
    throw new AssertionError("compaction never completed: " + steps);
  }

  private static boolean causedBy(Throwable thrown, Throwable injected) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t == injected) {
        return true;
      }
    }
    return false;
  }

  private static void fill(
      FileTokenStore store, List<Issued> live, List<Issued> revoked) {
    for (int i = 0; i < 20; i++) {
      Issued issued = Issued.create(store, "user" + (i % 3), Duration.ofDays(1));
      if (i % 4 == 0) {
        issued.revoke(store, T0.plusSeconds(i));
        revoked.add(issued);
      } else {
        live.add(issued);
      }
    }
    SessionRecord pair = TokenStoreContract.createPair(store, "user" + 4);
    ROTATED.add(pair.refreshHash());
    store.rotate(TokenStoreContract.rotation(pair, T0.plusSeconds(30)));
  }
}
