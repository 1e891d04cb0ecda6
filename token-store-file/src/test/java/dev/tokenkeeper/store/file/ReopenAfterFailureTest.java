package dev.tokenkeeper.store.file;

import static dev.tokenkeeper.core.StoreHarness.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
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
    Issued first = Issued.create(store, "alice");
    // Rotation creates the next log, fails to force the directory and deletes the log again.
    disk.failNext("forceDirectory");
    assertThrows(StoreUnavailableException.class, store::compact);
    assertThrows(StoreUnavailableException.class, store::close);

    FileTokenStore reopened = FileTokenStore.builder().directory(dir).disk(disk)
        .durability(Durability.NONE).build();
    Issued second = Issued.create(reopened, "bob");
    Issued.create(reopened, "carol").revoke(reopened, T0); // forces what came before
    Issued.create(reopened, "dave"); // written, not forced: the cut leaves a torn tail
    reopened.abandon();
    // The journal kept the create of the next log but not its delete.
    disk.powerCut(1);

    try (FileTokenStore afterCut = open(dir, disk)) {
      assertEquals(second.session(), second.in(afterCut).orElseThrow());
    }
  }

  @Test
  void revoke_fsyncFailedButSeenAfterRestart_staysRevokedAfterPowerCut() throws IOException {
    Path dir = tmp.resolve("store");
    PowerCutDisk disk = new PowerCutDisk(dir, 1, EnumSet.of(PowerCutDisk.Tail.DROP));
    FileTokenStore store = open(dir, disk);
    Issued issued = Issued.create(store, "alice");
    disk.failNext("force");
    assertThrows(StoreUnavailableException.class,
        () -> issued.revoke(store, T0.plusSeconds(1)));
    assertThrows(StoreUnavailableException.class, store::close);

    FileTokenStore reopened = open(dir, disk);
    assertTrue(issued.isRevokedIn(reopened), "served as revoked");
    reopened.abandon();
    disk.powerCut();

    try (FileTokenStore afterCut = open(dir, disk)) {
      assertTrue(issued.isRevokedIn(afterCut), "still revoked");
    }
  }
}
