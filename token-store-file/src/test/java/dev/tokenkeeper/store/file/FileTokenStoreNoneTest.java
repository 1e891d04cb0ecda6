package dev.tokenkeeper.store.file;

/** The contracts over a file store in {@link Durability#NONE} mode. */
class FileTokenStoreNoneTest extends FileStoreContract {

  @Override
  Durability durability() {
    return Durability.NONE;
  }
}
