package dev.tokenkeeper.store.file;

/** The contracts over a file store in {@link Durability#INTERVAL} mode. */
class FileTokenStoreIntervalTest extends FileStoreContract {

  @Override
  Durability durability() {
    return Durability.INTERVAL;
  }
}
