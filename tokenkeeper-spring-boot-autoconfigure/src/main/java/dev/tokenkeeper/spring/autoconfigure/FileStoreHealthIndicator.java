package dev.tokenkeeper.spring.autoconfigure;

import dev.tokenkeeper.core.TokenStore;
import dev.tokenkeeper.store.file.FileStoreStats;
import dev.tokenkeeper.store.file.FileTokenStore;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The file store's health, from its own state rather than a lookup: its lookups are answered from
 * memory, so they succeed on a dead disk. DOWN once a write or fsync failed (the store then
 * refuses every login, refresh and logout until the application restarts) or once it is closed,
 * each with a {@code reason}; UP otherwise. Details are figures {@link FileTokenStore#stats()}
 * reads without stopping writers (no count of live sessions: that walks every session): fsyncs,
 * the log's bytes, uses waiting to be written. Never the directory, a token or a hash.
 */
final class FileStoreHealthIndicator extends AbstractHealthIndicator {

  static final String FAILED = "a write or fsync failed: the store refuses every write until the"
      + " application restarts; check the disk first (the log names the failure)";
  static final String CLOSED = "the store is closed";

  private final FileTokenStore store;

  private FileStoreHealthIndicator(FileTokenStore store) {
    super("Token store health check failed");
    this.store = store;
  }

  /** The indicator of {@code store} if it is a file store, else {@code null}. */
  static HealthIndicator of(TokenStore store) {
    return store instanceof FileTokenStore file ? new FileStoreHealthIndicator(file) : null;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    FileStoreStats stats = store.stats();
    builder.withDetail("store", FileTokenStore.class.getSimpleName())
        .withDetail("fsyncs", stats.fsyncs())
        .withDetail("logBytes", stats.logBytes())
        .withDetail("touchBacklog", stats.touchBacklog());
    // Failed first: a failed store is closed too once its context shuts down, and why matters.
    if (store.isFailed()) {
      builder.down().withDetail("reason", FAILED);
    } else if (store.isClosed()) {
      builder.down().withDetail("reason", CLOSED);
    } else {
      builder.up();
    }
  }
}
