package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** The token-core store contract once per {@link Durability} mode, reopening for real. */
class FileTokenStoreContractTest {

  abstract static class Mode implements TokenStoreContract {

    @TempDir
    Path dir;

    abstract Durability durability();

    FileTokenStore open() {
      return FileTokenStore.builder()
          .directory(dir.resolve("store"))
          .durability(durability())
          .syncInterval(Duration.ofMillis(5))
          .build();
    }

    @Override
    public TokenStore newStore() {
      return open();
    }

    @Override
    public TokenStore reopen(TokenStore store) {
      store.close();
      return open();
    }
  }

  @Nested
  class Sync extends Mode {
    @Override
    Durability durability() {
      return Durability.SYNC;
    }
  }

  @Nested
  class Interval extends Mode {
    @Override
    Durability durability() {
      return Durability.INTERVAL;
    }
  }

  @Nested
  class None extends Mode {
    @Override
    Durability durability() {
      return Durability.NONE;
    }
  }
}
