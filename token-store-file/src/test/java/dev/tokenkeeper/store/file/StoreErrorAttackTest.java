package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GroupCommitErrorAttackTest} through the store: an OutOfMemoryError in the log write of a
 * logout (the batch's buffer, RandomAccessFile.write's native one) used to lose the logout's
 * record without failing the store, so a second logout of the session, waiting for the first's
 * record, was acknowledged by the fsync of a later login and the session came back after a crash,
 * while that login never returned. Now the store fails: both are refused.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StoreErrorAttackTest {

  @TempDir
  Path tmp;

  private FileTokenStore open(Disk disk) {
    return FileTokenStore.builder().directory(tmp.resolve("store")).disk(disk)
        .durability(Durability.SYNC).touchPersistInterval(Duration.ofHours(1)).build();
  }


  @Test
  void anErrorInALogoutsWrite_failsTheStoreAndNoLaterLogoutIsAcknowledged() throws Exception {
    FaultyDisk disk = new FaultyDisk();
    FileTokenStore store = open(disk);
    Issued victim = Issued.create(store, "victim");

    disk.throwOnNextLogAppend(() -> new OutOfMemoryError("injected: the batch's buffer"));
    assertThrows(OutOfMemoryError.class, () -> victim.revoke(store, T0));

    // A second logout of the same session would wait for the first one's record.
    CompletableFuture<Boolean> again = OnThread.start("revoke-again", () -> victim.revoke(store, T0));
    CompletableFuture<Issued> later = OnThread.start("create", () -> Issued.create(store, "later"));
    for (CompletableFuture<?> call : List.of(again, later)) {
      ExecutionException refused =
          assertThrows(ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
      assertInstanceOf(StoreUnavailableException.class, refused.getCause());
    }
    store.abandon();

    try (FileTokenStore reopened = open(Disk.system())) {
      assertTrue(victim.in(reopened).isPresent(), "nothing acknowledged the logout");
      assertTrue(reopened.findSessions("later").isEmpty());
    }
  }
}
