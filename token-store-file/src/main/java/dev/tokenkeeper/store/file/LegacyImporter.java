package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.TokenHash;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports the origin system's {@code auth_tokens.json} into a store once, and leaves no plaintext
 * behind.
 *
 * <p><b>Once.</b> The import is recorded in the store, durably and in the same forced write as
 * the sessions it adds: a record holding the SHA-256 of the file's bytes, kept by every
 * compaction. While a store holds such a record no legacy file is imported again: the same file
 * shipped again (an image, a backup) is deleted unread, and a different one is left alone with a
 * warning. Otherwise a token logged out and forgotten since could come back from an old copy. An
 * import cut short by a crash before its record is redone; tokens it already added are skipped.
 *
 * <p><b>No plaintext.</b> Once the import is durable the file is deleted (one INFO line with the
 * counts); no copy is kept. Copies named {@code NAME.imported} that earlier releases left beside
 * it are deleted too, their digests recorded as imported.
 *
 * <p><b>Lifetime.</b> Each token becomes a session of its own, expiring at the file's expiry but
 * no later than the maximum lifetime from now ({@link FileTokenStore.Builder#legacyMaxLifetime}).
 */
final class LegacyImporter {

  private static final Logger LOG = LoggerFactory.getLogger(FileTokenStore.class);

  /** The store being opened, as the import sees it. */
  interface Target {
    Path directory();

    Disk disk();

    Clock clock();

    /** The imports recorded so far, by digest. */
    Map<String, LogEntry.Imported> imports();

    boolean holds(TokenHash hash);

    /** Adds the sessions and the import record, and forces them, whatever the durability. */
    void writeDurably(List<LogEntry.Create> sessions, LogEntry.Imported imported);
  }

  private final Target store;
  private final Duration maxLifetime;

  /** Largest legacy file read: 256 MiB, about a million of the origin system's tokens. */
  static final long MAX_LEGACY_BYTES = 256L << 20;

  LegacyImporter(Target store, Duration maxLifetime) {
    this.store = store;
    this.maxLifetime = maxLifetime;
  }

  /** Imports {@code file} if it exists and no import is recorded; see the class comment. */
  void run(Path file) throws IOException {
    Instant now = store.clock().instant();
    forgetOldCopies(file, now);
    if (!Files.exists(file)) {
      return;
    }
    byte[] bytes = readBounded(file);
    String sha256 = LegacyImport.sha256(bytes);
    if (store.imports().containsKey(sha256)) {
      delete(file);
      LOG.warn("Token store {}: {} was imported already (SHA-256 {}); not imported again, and "
          + "deleted since it holds raw tokens", store.directory(), file, sha256.substring(0, 8));
      return;
    }
    if (store.imports().containsKey(LogEntry.Imported.BY_EARLIER_RELEASE)) {
      LOG.warn("Token store {}: not importing {} (SHA-256 {}): this store was upgraded from the "
          + "previous release, which may have imported it already and then forgotten tokens it "
          + "logged out. The file holds raw tokens: delete it", store.directory(), file,
          sha256.substring(0, 8));
      return;
    }
    if (!store.imports().isEmpty()) {
      LOG.warn("Token store {}: not importing {} (SHA-256 {}): a legacy file was imported into "
          + "this store already, and the import happens once. The file holds raw tokens: delete "
          + "it", store.directory(), file, sha256.substring(0, 8));
      return;
    }
    LegacyImport.Result result = LegacyImport.read(
        file, bytes, store.clock().getZone(), now, maxLifetime, new SecureRandom());
    List<LogEntry.Create> fresh = new ArrayList<>();
    for (LogEntry.Create create : result.sessions()) {
      // Already present means an earlier import stopped before its record: skip, not fail.
      if (!store.holds(create.tokens().get(0).hash())) {
        fresh.add(create);
      }
    }
    store.writeDurably(fresh, new LogEntry.Imported(sha256, fresh.size(), now));
    delete(file);
    LOG.info("Imported {} tokens from {} ({} expired skipped, {} already present, {} expiries "
        + "capped at {}) and deleted it; the store keeps only their hashes", fresh.size(), file,
        result.expired(), result.sessions().size() - fresh.size(), result.capped(), maxLifetime);
  }

  /** Deletes the raw-token copies earlier releases kept, recording them as imported. */
  private void forgetOldCopies(Path file, Instant now) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      return;
    }
    Pattern copy = Pattern.compile(Pattern.quote(file.getFileName().toString())
        + "\\.imported(-\\d+)?");
    List<Path> copies = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(parent)) {
      for (Path sibling : stream) {
        if (copy.matcher(sibling.getFileName().toString()).matches()) {
          copies.add(sibling);
        }
      }
    }
    for (Path old : copies) {
      String sha256 = LegacyImport.sha256(readBounded(old));
      if (!store.imports().containsKey(sha256)) {
        store.writeDurably(List.of(), new LogEntry.Imported(sha256, 0, now));
      }
      delete(old);
      LOG.info("Token store {}: deleted {}, the copy an earlier release kept after importing "
          + "it; it held raw tokens. Recorded as imported, so it is never imported again",
          store.directory(), old);
    }
  }

  /**
   * The file's bytes, refused as damage past {@link #MAX_LEGACY_BYTES}: the origin system's file
   * holds a few hundred bytes per token, so anything larger is not one, and reading it whole
   * could exhaust the heap.
   */
  private static byte[] readBounded(Path file) throws IOException {
    long size = Files.size(file);
    if (size > MAX_LEGACY_BYTES) {
      throw new StoreCorruptedException(file.toString(), 0, "a legacy token file of " + size
          + " bytes is larger than the " + MAX_LEGACY_BYTES + " accepted; not read");
    }
    return Files.readAllBytes(file);
  }

  private void delete(Path file) throws IOException {
    store.disk().delete(file);
    store.disk().forceDirectory(file.toAbsolutePath().getParent());
  }
}
