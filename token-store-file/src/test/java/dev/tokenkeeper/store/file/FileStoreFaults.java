package dev.tokenkeeper.store.file;

import java.nio.file.Path;

/**
 * A real {@link FileTokenStore} whose disk fails on demand, for other modules' tests (published
 * in this module's test-jar, with the {@link FaultyDisk} behind it): how an application sees a
 * store whose fsync failed, without a failing disk.
 *
 * <pre>{@code
 * FileStoreFaults faults = FileStoreFaults.open(directory);
 * TokenStore store = faults.store();
 * faults.failForces();           // every later fsync fails, as a dying disk's do
 * }</pre>
 */
public final class FileStoreFaults {

  private final FaultyDisk disk = new FaultyDisk();
  private final FileTokenStore store;

  private FileStoreFaults(Path directory) {
    this.store = FileTokenStore.builder().directory(directory).disk(disk).build();
  }

  /** Opens a store in {@code directory}, with every default, on a disk that works until told. */
  public static FileStoreFaults open(Path directory) {
    return new FileStoreFaults(directory);
  }

  /** The store; the caller closes it. */
  public FileTokenStore store() {
    return store;
  }

  /** Makes every later fsync fail with an {@code IOException}. */
  public void failForces() {
    disk.failForces();
  }
}
