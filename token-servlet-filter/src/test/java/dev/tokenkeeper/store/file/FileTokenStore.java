package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.InMemoryTokenStore;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A stand-in with the one member the filter's {@code store-directory} route relies on,
 * {@code public static FileTokenStore open(Path)}, so that route is tested here without a
 * dependency on token-store-file. It keeps records in memory and remembers whether it was closed.
 * The web.xml test hides it from its web application to test the class being absent.
 */
public final class FileTokenStore implements TokenStore {

  /** The last store opened, for tests to inspect. */
  public static volatile FileTokenStore lastOpened;

  private final InMemoryTokenStore records = new InMemoryTokenStore();
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
  public void save(TokenRecord record) {
    records.save(record);
  }

  @Override
  public Optional<TokenRecord> find(TokenHash hash) {
    return records.find(hash);
  }

  @Override
  public List<TokenRecord> findBySubject(String subject) {
    return records.findBySubject(subject);
  }

  @Override
  public boolean revoke(TokenHash hash, Instant at) {
    return records.revoke(hash, at);
  }

  @Override
  public int revokeAll(String subject, Instant at) {
    return records.revokeAll(subject, at);
  }

  @Override
  public void touch(TokenHash hash, Instant lastUsedAt, Instant expiresAt) {
    records.touch(hash, lastUsedAt, expiresAt);
  }

  @Override
  public boolean delete(TokenHash hash) {
    return records.delete(hash);
  }

  @Override
  public int purgeExpired(Instant now) {
    return records.purgeExpired(now);
  }

  @Override
  public void close() {
    closed = true;
    records.close();
  }
}
