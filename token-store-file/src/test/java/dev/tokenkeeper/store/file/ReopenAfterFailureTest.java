package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.TokenStoreContract.T0;
import static dev.tokenkeeper.core.TokenStoreContract.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store reopened after a failed write shows only what a power cut keeps, so a crash after the
 * restart neither undoes what was served nor turns a torn tail into damage. Both were first found
 * by {@link PowerCutTest}.
 */
class ReopenAfterFailureTest {

  @TempDir
  Path tmp;

  private FileTokenStore open(Path dir, PowerCutDisk disk) {
    return FileTokenStore.builder().directory(dir).disk(disk).build();
  }

  @Test
  void open_afterAFailedLogCreation_powerCutCannotBringTheNewLogBack() throws IOException {
    Path dir = tmp.resolve("store");
    PowerCutDisk disk = new PowerCutDisk(dir, 1, EnumSet.of(PowerCutDisk.Tail.GARBAGE));
    FileTokenStore store = open(dir, disk);
    TokenRecord first = record("alice");
    store.save(first);
    // Rotation creates the next log, fails to force the directory and deletes the log again.
    disk.failNext("forceDirectory");
    assertThrows(StoreUnavailableException.class, store::compact);
    assertThrows(StoreUnavailableException.class, store::close);

    FileTokenStore reopened = open(dir, disk);
    TokenRecord second = record("bob");
    reopened.save(second);
    reopened.delete(first.hash()); // written, not forced: the cut leaves a torn tail
    reopened.abandon();
    // The journal kept the create of the next log but not its delete.
    disk.powerCut(1);

    try (FileTokenStore afterCut = open(dir, disk)) {
      assertEquals(Optional.of(second), afterCut.find(second.hash()));
    }
  }

  @Test
  void revoke_fsyncFailedButSeenAfterRestart_staysRevokedAfterPowerCut() throws IOException {
    Path dir = tmp.resolve("store");
    PowerCutDisk disk = new PowerCutDisk(dir, 1, EnumSet.of(PowerCutDisk.Tail.DROP));
    FileTokenStore store = open(dir, disk);
    TokenRecord record = record("alice");
    store.save(record);
    disk.failNext("force");
    assertThrows(StoreUnavailableException.class,
        () -> store.revoke(record.hash(), T0.plusSeconds(1)));
    assertThrows(StoreUnavailableException.class, store::close);

    FileTokenStore reopened = open(dir, disk);
    assertTrue(reopened.find(record.hash()).orElseThrow().isRevoked(), "served as revoked");
    reopened.abandon();
    disk.powerCut();

    try (FileTokenStore afterCut = open(dir, disk)) {
      assertTrue(afterCut.find(record.hash()).orElseThrow().isRevoked(), "still revoked");
    }
  }
}
