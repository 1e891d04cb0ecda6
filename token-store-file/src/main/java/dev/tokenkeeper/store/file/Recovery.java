package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.StoreCorruptedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;

/**
 * The repairing half of opening: reads the directory ({@link StoreScan}), then makes what it read
 * the store's durable state before anything is served, and leaves a log ready to append.
 *
 * <p>It assumes the worst about a store not closed cleanly (its newest log does not end in a
 * clean close's mark): the process died, or a write or fsync failed. Such a log may end in a hole
 * no fsync covered, or in pages a failed fsync lost that the page cache still shows (ext4 and XFS
 * keep them cached and clean: the PostgreSQL "fsyncgate" lesson). So it is never appended to:
 * what was read is written as a new snapshot and a fresh log is started, both forced, before the
 * store serves, and the old files are deleted after. A store closed cleanly in the current format
 * is appended to as it is. Damage stops the open with {@link StoreCorruptedException} naming file
 * and offset and changes nothing, unless recovery was asked for: then each damaged file is renamed
 * to {@code NAME.damaged} and what was readable becomes the snapshot. A store of an earlier format
 * is upgraded the same way, crash-safe like a compaction.
 *
 * <p>Nothing is deleted before the directory is forced: an earlier process may have renamed or
 * created files without forcing it, and a delete that reaches the disk before such a rename does
 * could lose both copies.
 */
final class Recovery {

  final StoreScan scan;
  final LogWriter log;
  final long snapshotGeneration;

  private Recovery(StoreScan scan, LogWriter log, long snapshotGeneration) {
    this.scan = scan;
    this.log = log;
    this.snapshotGeneration = snapshotGeneration;
  }

  /**
   * Opens the store in {@code files}.
   *
   * @throws StoreCorruptedException on damage, unless {@code recoverDamaged}
   */
  static Recovery open(StoreDirectory files, boolean recoverDamaged, Logger logger)
      throws IOException {
    int renamed = files.renameLocaleDigitNames();
    if (renamed > 0) {
      logger.info("Token store {}: renamed {} files an earlier release had named in the digits "
          + "of the default locale's script", files.path(), renamed);
    }
    StoreScan scan = StoreScan.read(files);
    if (!scan.damage().isEmpty() && !recoverDamaged) {
      StoreScan.Finding first = scan.damage().get(0);
      throw new StoreCorruptedException(first.file().toString(), first.offset(), first.detail()
          + "; the file was left as it is. To start anyway with what is readable, open with "
          + "recoverDamaged(true)");
    }
    files.deleteTemporaryFiles();
    files.forceDirectory();
    for (StoreScan.Finding finding : scan.findings) {
      if (finding.tornTail()) {
        logger.warn("Token store {}: dropping a torn tail of {} at offset {} ({} bytes, {}): "
            + "written but never forced, so nothing in it was acknowledged", files.path(),
            finding.file(), finding.offset(), finding.bytes(), finding.detail());
      } else {
        moveAside(files, finding, logger);
      }
    }
    LogWriter log;
    long snapshotGeneration;
    if (scan.isEmpty()) {
      snapshotGeneration = 0;
      log = LogWriter.create(files, 1);
    } else if (scan.isClean()) {
      snapshotGeneration = scan.snapshotGeneration;
      log = LogWriter.reopen(files, scan.newestLog, scan.newestLogEnd);
    } else {
      snapshotGeneration = Math.max(scan.newestLog, scan.snapshotGeneration) + 1;
      SnapshotWriter.write(files, snapshotGeneration, scan.state);
      log = LogWriter.create(files, snapshotGeneration);
      if (scan.format < Frames.VERSION) {
        logger.info("Upgraded token store {} from format {} to {}: {} sessions ({} tokens{})",
            files.path(), scan.format, Frames.VERSION, scan.state.live.sessionCount(),
            scan.state.live.tokenCount(), scan.format == 1 ? ", made of " + scan.upgradedTokens
                + " format 1 tokens with " + scan.upgradedTombstones + " rotated tombstones"
                : "");
      }
    }
    try {
      for (long old : files.snapshots().headSet(snapshotGeneration)) {
        files.disk().delete(files.snapshot(old));
      }
      for (long old : files.logs().headSet(snapshotGeneration)) {
        files.disk().delete(files.log(old));
      }
      files.forceDirectory();
    } catch (IOException | RuntimeException e) {
      log.close();
      throw e;
    }
    return new Recovery(scan, log, snapshotGeneration);
  }

  private static void moveAside(StoreDirectory files, StoreScan.Finding finding, Logger logger)
      throws IOException {
    Path path = finding.file();
    if (!Files.exists(path)) {
      logger.warn("Token store {}: {} ({}); starting with what is readable", files.path(), path,
          finding.detail());
      return;
    }
    Path aside = path.resolveSibling(path.getFileName() + ".damaged");
    for (int n = 2; Files.exists(aside); n++) {
      aside = path.resolveSibling(path.getFileName() + ".damaged-" + n);
    }
    files.disk().rename(path, aside);
    logger.warn("Token store {}: {} is damaged at offset {} ({}); moved it to {} and kept what "
        + "was readable before the damage", files.path(), path, finding.offset(),
        finding.detail(), aside);
  }
}
