package dev.tokenkeeper.store.file;

/** The contracts over a file store in {@link Durability#SYNC} mode. */
class FileTokenStoreSyncTest extends FileStoreContract {

  @Override
  Durability durability() {
    return Durability.SYNC;
  }
}
