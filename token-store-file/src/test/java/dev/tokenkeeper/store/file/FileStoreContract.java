package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.SessionRaceContract;
import dev.tokenkeeper.core.TokenServiceContract;
import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.core.TokenStoreContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/**
 * token-core's contracts (store, service, session races) over a {@link FileTokenStore} in one
 * {@link Durability} mode, reopening for real (close, then open the same directory) and compacting
 * for real where the service contract asks. Each mode is a test class of its own.
 *
 * <p>A crash ({@link #reopenAfterCrash}) abandons the store as its process dying would: the lock
 * and files are released and nothing more is written. In {@code SYNC} mode, which promises that
 * nothing acknowledged is lost even to power loss, it is a power cut as well: every store of the
 * mode writes through a {@link PowerCutDisk} (with real fsyncs), and the crash drops every byte
 * never forced and undoes every directory change never forced. {@code INTERVAL} and
 * {@code NONE} promise to survive the process dying only, so that is their crash.
 *
 * <p>The two-instance contract does not apply: a directory's lock lets one store, in one process,
 * own it at a time.
 */
abstract class FileStoreContract
    implements TokenStoreContract, TokenServiceContract, SessionRaceContract {

  /**
   * The power-cut model's seed. With only {@link PowerCutDisk.Tail#DROP} and no failed force it
   * draws nothing a crash depends on, so it is fixed.
   */
  private static final long POWER_CUT_SEED = 1;

  @TempDir
  Path dir;

  private final AtomicInteger stores = new AtomicInteger();
  /** The disk of each store directory, by its real path: what a power cut there keeps. */
  private final Map<Path, PowerCutDisk> disks = new ConcurrentHashMap<>();

  abstract Durability durability();

  /** Whether a crash is a power cut too, not only the process dying: what {@code SYNC} survives. */
  boolean crashIsPowerCut() {
    return durability() == Durability.SYNC;
  }

  private FileTokenStore open(Path directory, Clock clock) {
    FileTokenStore.Builder builder = FileTokenStore.builder()
        .directory(directory)
        .durability(durability())
        .syncInterval(Duration.ofMillis(5))
        .clock(clock);
    if (crashIsPowerCut()) {
      builder.disk(disks.computeIfAbsent(directory, d ->
          new PowerCutDisk(d, POWER_CUT_SEED, EnumSet.of(PowerCutDisk.Tail.DROP), true)));
    }
    return builder.build();
  }

  @Override
  public TokenStore newStore(Clock clock) {
    try {
      // The real path, as the store names its files: the power-cut model must see them as its own.
      return open(dir.toRealPath().resolve("store-" + stores.incrementAndGet()), clock);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public TokenStore reopen(TokenStore store) {
    FileTokenStore file = (FileTokenStore) store;
    file.close();
    return open(file.directory(), clock());
  }

  @Override
  public TokenStore reopenAfterCrash(TokenStore store) {
    FileTokenStore file = (FileTokenStore) store;
    file.abandon();
    if (crashIsPowerCut()) {
      PowerCutDisk disk = disks.get(file.directory());
      if (disk == null) {
        throw new AssertionError("no power-cut model of " + file.directory());
      }
      try {
        disk.powerCut(0);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return open(file.directory(), clock());
  }

  @Override
  public void compact(TokenStore store) {
    ((FileTokenStore) store).compact();
  }
}
