package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.SessionRaceContract;
import dev.tokenkeeper.core.TokenServiceContract;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/**
 * token-core's contracts (store, service, session races) over a {@link FileTokenStore} in one
 * {@link Durability} mode, reopening for real (close, then open the same directory) and compacting
 * for real where the service contract asks. Each mode is a test class of its own.
 */
abstract class FileStoreContract
    implements TokenStoreContract, TokenServiceContract, SessionRaceContract {

  @TempDir
  Path dir;

  private final AtomicInteger stores = new AtomicInteger();

  abstract Durability durability();

  private FileTokenStore open(Path directory, Clock clock) {
    return FileTokenStore.builder()
        .directory(directory)
        .durability(durability())
        .syncInterval(Duration.ofMillis(5))
        .clock(clock)
        .build();
  }

  @Override
  public TokenStore newStore(Clock clock) {
    return open(dir.resolve("store-" + stores.incrementAndGet()), clock);
  }

  @Override
  public TokenStore reopen(TokenStore store) {
    FileTokenStore file = (FileTokenStore) store;
    file.close();
    return open(file.directory(), clock());
  }

  @Override
  public void compact(TokenStore store) {
    ((FileTokenStore) store).compact();
  }
}
