package dev.tokenkeeper.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenkeeper.core.ContractFailures;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The contracts over a file store in {@link Durability#SYNC} mode. */
class FileTokenStoreSyncTest extends FileStoreContract {

  private static final String CRASH_TEST = "acknowledgedWrites_surviveACrash_notOnlyACleanClose";

  @Override
  Durability durability() {
    return Durability.SYNC;
  }

  /**
   * The crash this mode is tested with bites: a store that acknowledges a create before forcing
   * it fails the crash test, on the create no revoke forced after it.
   */
  @Test
  void crashTest_failsAStoreThatAcknowledgesBeforeFsync() {
    assertEquals(Set.of(CRASH_TEST),
        ContractFailures.of(AcknowledgesBeforeFsync.class, CRASH_TEST));
  }

  /** {@link Durability#NONE}, crashed as {@code SYNC} is: by a power cut. */
  static final class AcknowledgesBeforeFsync extends FileStoreContract {
    @Override
    Durability durability() {
      return Durability.NONE;
    }

    @Override
    boolean crashIsPowerCut() {
      return true;
    }
  }
}
