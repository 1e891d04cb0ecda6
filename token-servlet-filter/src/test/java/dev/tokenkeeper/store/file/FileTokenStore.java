package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.ForwardingTokenStore;
import dev.tokenkeeper.core.StoreUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A stand-in with the one member the filter's {@code store-directory} route relies on,
 * {@code public static FileTokenStore open(Path)}, so that route is tested here without a
 * dependency on token-store-file. It keeps records in memory and remembers whether it was closed.
 * The web.xml test hides it from its web application to test the class being absent.
 */
public final class FileTokenStore extends ForwardingTokenStore {

  /** The last store opened, for tests to inspect. */
  public static volatile FileTokenStore lastOpened;

  private final Path directory;
  private volatile boolean closed;

  private FileTokenStore(Path directory) {
    this.directory = directory;
  }

  /** Opens a store in an existing directory. */
  public static FileTokenStore open(Path directory) {
    if (!Files.isDirectory(directory)) {
      throw new StoreUnavailableException("not a directory: " + directory);
    }
    FileTokenStore store = new FileTokenStore(directory);
    lastOpened = store;
    return store;
  }

  public Path directory() {
    return directory;
  }

  public boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
    super.close();
  }
}
