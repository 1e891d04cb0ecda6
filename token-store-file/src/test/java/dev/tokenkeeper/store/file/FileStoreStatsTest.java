package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.Concurrently;
import dev.tokenkeeper.core.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link FileTokenStore#stats()} counts, against what the test did to the store. */
class FileStoreStatsTest {

  @TempDir
  Path tmp;

  private final MutableClock clock = new MutableClock(T0);

  private FileTokenStore open(Path dir, Durability durability) {
    return FileTokenStore.builder().directory(dir).durability(durability).clock(clock)
        .touchPersistInterval(Duration.ofHours(1)).build();
  }

  @Test
  void stats_syncOneWriter_oneFsyncPerRecord_andTheLogSize() throws Exception {
    Path dir = tmp.resolve("store");
    try (FileTokenStore store = open(dir, Durability.SYNC)) {
      for (int i = 0; i < 10; i++) {
        Issued.create(store, "user" + i);
      }
      FileStoreStats stats = store.stats();
      assertEquals(10, stats.fsyncs());
      assertEquals(10, stats.recordsSynced());
      assertEquals(1.0, stats.recordsPerFsync());
      assertTrue(stats.fsyncNanosMax() > 0 && stats.fsyncNanosMax() <= stats.fsyncNanosTotal());
      assertEquals(Files.size(dir.resolve("log-0000000001")), stats.logBytes());
    }
  }

  @Test
  void stats_syncManyWriters_everyRecordIsCountedOnce_andNoMoreFsyncsThanRecords()
      throws Exception {
    int threads = 8;
    int each = 25;
    try (FileTokenStore store = open(tmp.resolve("store"), Durability.SYNC)) {
      Concurrently.run(threads, thread -> {
        for (int i = 0; i < each; i++) {
          Issued.create(store, "user" + thread);
        }
        return null;
      });
      FileStoreStats stats = store.stats();
      assertEquals(threads * each, stats.recordsSynced());
      assertTrue(stats.fsyncs() >= 1 && stats.fsyncs() <= threads * each, stats.toString());
    }
  }

  @Test
  void stats_none_forcesOnlyForARevoke_whichMakesEverythingBeforeItDurable() {
    try (FileTokenStore store = open(tmp.resolve("store"), Durability.NONE)) {
      List<Issued> issued = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        issued.add(Issued.create(store, "user" + i));
      }
      assertEquals(0, store.stats().fsyncs());
      issued.get(0).revoke(store, T0.plusSeconds(1));
      FileStoreStats stats = store.stats();
      assertEquals(1, stats.fsyncs());
      assertEquals(6, stats.recordsSynced());
    }
  }

  @Test
  void stats_touchBacklog_countsSessionsWithUnwrittenUses_untilAPurgeWritesThem() {
    try (FileTokenStore store = open(tmp.resolve("store"), Durability.SYNC)) {
      List<Issued> issued = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        issued.add(Issued.create(store, "user" + i));
      }
      for (Issued session : issued.subList(0, 3)) {
        store.touch(session.session().id(), T0.plusSeconds(60), T0.plusSeconds(7200));
      }
      assertEquals(3, store.stats().touchBacklog());
      store.purgeExpired(T0);
      assertEquals(0, store.stats().touchBacklog());
    }
  }

  @Test
  void stats_compactions_countedWithTheirTime() {
    try (FileTokenStore store = open(tmp.resolve("store"), Durability.SYNC)) {
      Issued.create(store, "alice");
      assertEquals(0, store.stats().compactions());
      store.compact();
      store.compact();
      FileStoreStats stats = store.stats();
      assertEquals(2, stats.compactions());
      assertTrue(stats.compactionNanosTotal() > 0);
    }
  }

  @Test
  void fileStoreStats_negativeOrInconsistentFigures_areRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new FileStoreStats(-1, 0, 0, 0, 0, 0, 0, 0));
    assertThrows(IllegalArgumentException.class,
        () -> new FileStoreStats(1, 1, 5, 6, 0, 0, 0, 0));
    assertEquals(2.5, new FileStoreStats(2, 5, 10, 6, 0, 0, 0, 8).recordsPerFsync());
    assertEquals(0, new FileStoreStats(0, 0, 0, 0, 0, 0, 0, 8).recordsPerFsync());
  }
}
