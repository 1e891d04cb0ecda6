package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The store directory is already open, in another process or in another {@link FileTokenStore} of
 * this JVM. Only one writer may own a store; the message names the directory and its lock file.
 */
public final class StoreLockedException extends StoreUnavailableException {

  private static final long serialVersionUID = 1L;

  private final transient Path lockFile;

  StoreLockedException(Path directory, Path lockFile, String holder) {
    super("token store " + Objects.requireNonNull(directory, "directory") + " is in use by "
        + holder + " (lock held on " + lockFile + "); stop the other user or choose another "
        + "directory");
    this.lockFile = lockFile;
  }

  /** The lock file another opener holds. */
  public Path lockFile() {
    return lockFile;
  }
}
