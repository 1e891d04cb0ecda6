package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.StoreUnavailableException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The exclusive lock that makes one store the only writer of a directory: an OS file lock on
 * {@code LOCK} against other processes, and a JVM-wide set of held directories against other
 * stores of this JVM. The set is checked first because on POSIX systems closing any channel of a
 * locked file drops the process's lock on it, so a second opener must never open the lock file.
 */
final class DirectoryLock implements AutoCloseable {

  static final String FILE_NAME = "LOCK";

  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path directory;
  private final FileChannel channel;

  private DirectoryLock(Path directory, FileChannel channel) {
    this.directory = directory;
    this.channel = channel;
  }

  /**
   * Takes the lock or fails at once.
   *
   * @throws StoreLockedException if another store or process holds it
   * @throws StoreUnavailableException if the lock file cannot be opened
   */
  static DirectoryLock acquire(Path directory) {
    Path real;
    try {
      real = directory.toRealPath();
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot resolve token store directory " + directory, e);
    }
    Path lockFile = real.resolve(FILE_NAME);
    if (!HELD.add(real)) {
      throw new StoreLockedException(real, lockFile, "another FileTokenStore in this JVM");
    }
    FileChannel channel = null;
    boolean locked = false;
    try {
      channel = FileChannel.open(lockFile,
          EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
          SystemDisk.ownerOnlyFile(lockFile.getFileSystem()));
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        throw new StoreLockedException(real, lockFile, "other code in this JVM");
      }
      if (lock == null) {
        throw new StoreLockedException(real, lockFile, "another process");
      }
      locked = true;
      return new DirectoryLock(real, channel);
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot lock token store " + real + " with " + lockFile,
          e);
    } finally {
      if (!locked) {
        closeQuietly(channel);
        HELD.remove(real);
      }
    }
  }

  Path directory() {
    return directory;
  }

  /** Releases the lock. Idempotent. */
  @Override
  public void close() {
    if (channel.isOpen()) {
      closeQuietly(channel);
      HELD.remove(directory);
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // The lock goes with the channel; nothing is left to release.
      }
    }
  }
}
