package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.StoreCorruptedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;

/**
 * Rebuilds a store's memory from its directory on open, and leaves the newest log ready to append.
 *
 * <p>The newest snapshot is read, then every log from its generation on, in order. Only the newest
 * log may end in a torn tail, which is cut off with one WARN line: older logs were forced whole
 * before the next one was created, and a snapshot is forced before it is renamed into place, so a
 * bad frame in them, or a bad frame followed by good ones anywhere, is damage. Damage stops the
 * open with {@link StoreCorruptedException} and changes nothing on disk, unless recovery was asked
 * for: then each damaged file is renamed to {@code NAME.damaged}, what was readable is kept, and a
 * fresh snapshot of it replaces the remaining files.
 *
 * <p>A store written in format 1 by an earlier release is read whole the way that release did,
 * then converted ({@link V1Upgrade}) and, before anything is served, written as a format 2
 * snapshot and a fresh log, exactly as a recovery is: the old files stay until the new snapshot
 * is renamed into place, so a crash during the upgrade leaves a store that upgrades again.
 *
 * <p>{@link #inspect} reads the same way without changing anything, and lists what an open would
 * find instead of acting on it: the offline tool's {@code check} and {@code stats}.
 */
final class Replay {

  /**
   * What reading found wrong with one file.
   *
   * @param file the file
   * @param offset where the bad bytes start
   * @param bytes how many bytes from there to the file's end an open drops
   * @param detail what is wrong
   * @param tornTail whether it is an interrupted append an open cuts off by itself
   */
  record Finding(Path file, long offset, long bytes, String detail, boolean tornTail) {}

  final StoreState state = new StoreState();
  long snapshotGeneration;
  long logGeneration;
  Disk.File log;
  long logSize;
  long entries;
  final List<Finding> findings = new ArrayList<>();

  private final StoreDirectory files;
  private final boolean recoverDamaged;
  private final boolean inspectOnly;
  private final Logger logger;
  private final Map<String, String> strings = new HashMap<>();
  private boolean recovered;
  /** Whether a file of format 1 was read: the store is then upgraded before it is served. */
  private boolean formatOne;
  /** Format 1 tokens read, and rotated tombstones made of them, when upgraded. */
  int upgradedTokens;
  int upgradedTombstones;

  private Replay(StoreDirectory files, boolean recoverDamaged, boolean inspectOnly,
      Logger logger) {
    this.files = files;
    this.recoverDamaged = recoverDamaged;
    this.inspectOnly = inspectOnly;
    this.logger = logger;
  }

  /**
   * Loads the store in {@code files}.
   *
   * @throws StoreCorruptedException on damage, unless {@code recoverDamaged}
   */
  static Replay load(StoreDirectory files, boolean recoverDamaged, Logger logger)
      throws IOException {
    Replay replay = new Replay(files, recoverDamaged, false, logger);
    try {
      replay.run();
    } catch (IOException | RuntimeException e) {
      if (replay.log != null) {
        replay.log.close();
      }
      throw e;
    }
    return replay;
  }

  /**
   * Reads the store in {@code files} as an open would, but changes nothing and throws no
   * {@link StoreCorruptedException}: every torn tail and damage is listed in {@link #findings},
   * and {@link #state} holds what an open would load (upgraded in memory if the store is in
   * format 1). No file is left open.
   */
  static Replay inspect(StoreDirectory files, Logger logger) throws IOException {
    Replay replay = new Replay(files, true, true, logger);
    replay.run();
    return replay;
  }

  /** Whether a format 1 file was read: an open upgrades such a store. */
  boolean isFormatOne() {
    return formatOne;
  }

  private void run() throws IOException {
    if (!inspectOnly) {
      files.deleteTemporaryFiles();
    }
    TreeSet<Long> snapshots = files.snapshots();
    snapshotGeneration = snapshots.isEmpty() ? 0 : snapshots.last();
    if (snapshotGeneration > 0) {
      readSnapshot(files.snapshot(snapshotGeneration));
    }
    TreeSet<Long> logs = new TreeSet<>(files.logs().tailSet(snapshotGeneration));
    long expected = Math.max(snapshotGeneration, 1);
    long newest = logs.isEmpty() ? expected : logs.last();
    for (long generation : logs) {
      if (generation != expected) {
        damaged(files.log(expected), 0, 0, "log " + expected + " is missing", false);
      }
      readLog(generation, generation == newest);
      expected = generation + 1;
    }
    String inconsistency = state.finish();
    if (inconsistency != null) {
      Path last = logs.isEmpty() ? files.snapshot(snapshotGeneration) : files.log(newest);
      damaged(last, 0, 0, inconsistency, false);
    }
    if (formatOne) {
      upgradedTokens = state.upgrade.tokenCount();
      upgradedTombstones = state.upgrade.convertInto(state.live);
      state.imports.putIfAbsent(LogEntry.Imported.BY_EARLIER_RELEASE, new LogEntry.Imported(
          LogEntry.Imported.BY_EARLIER_RELEASE, 0, Instant.EPOCH));
    }
    if (inspectOnly) {
      return;
    }
    long nextGeneration = Math.max(newest, snapshotGeneration) + 1;
    if (recovered || formatOne) {
      if (log != null) {
        log.close();
        log = null;
      }
      // An upgrade is made crash-safe like a compaction: the format 1 files stay whole until
      // the format 2 snapshot that replaces them has been renamed into place.
      checkpoint(nextGeneration);
      if (formatOne) {
        logger.info("Upgraded token store {} from format 1 to {}: {} tokens became {} sessions "
            + "({} rotated tombstones)", files.path(), Frames.VERSION, upgradedTokens,
            state.live.sessionCount(), upgradedTombstones);
      }
    } else if (log == null) {
      logGeneration = logs.isEmpty() ? expected : nextGeneration;
      log = files.createLog(logGeneration);
      logSize = Frames.HEADER;
    }
    for (long old : files.snapshots().headSet(snapshotGeneration)) {
      files.disk().delete(files.snapshot(old));
    }
    for (long old : files.logs().headSet(snapshotGeneration)) {
      files.disk().delete(files.log(old));
    }
    // Make what was read here what a crash shows, before anything is served or appended. The
    // newest log may hold appends a failed process never forced: serving them, then losing them
    // to a power cut, would undo a revoke the users saw. A create or delete left unforced by an
    // earlier failure could undo itself and bring back a newer log, making this log's torn tail
    // look like damage.
    StoreDirectory.force(log, files.log(logGeneration));
    files.forceDirectory();
  }

  private void readSnapshot(Path path) throws IOException {
    long[] saves = {0};
    long[] declared = {-1};
    FrameReader.Outcome outcome;
    long size;
    try (Disk.File file = files.disk().open(path)) {
      size = file.size();
      outcome = FrameReader.read(file, Frames.SNAPSHOT_MAGIC, strings, entry -> {
        if (entry instanceof LogEntry.End end) {
          declared[0] = end.count();
        } else if (declared[0] < 0) {
          saves[0]++;
          state.apply(entry);
        }
      });
    }
    formatOne |= outcome.version == 1;
    entries += outcome.entries;
    if (!outcome.isClean()) {
      damaged(path, outcome.damageAt, size - outcome.damageAt, outcome.damage, true);
    } else if (declared[0] != saves[0] || outcome.entries != saves[0] + 1) {
      damaged(path, outcome.end, size - outcome.end, "snapshot is incomplete: " + saves[0]
          + " records, "
          + (declared[0] < 0 ? "no end record" : "end record says " + declared[0]), true);
    }
  }

  private void readLog(long generation, boolean newest) throws IOException {
    Path path = files.log(generation);
    Disk.File file = files.disk().open(path);
    try {
      FrameReader.Outcome outcome =
          FrameReader.read(file, Frames.LOG_MAGIC, strings, state::apply);
      formatOne |= outcome.version == 1;
      entries += outcome.entries;
      long end = outcome.end;
      if (!outcome.isClean()) {
        if (newest && !outcome.checksummed && FrameReader.isTornTail(file, outcome.damageAt)) {
          long size = file.size();
          if (inspectOnly) {
            findings.add(new Finding(path, outcome.damageAt, size - outcome.damageAt,
                outcome.damage, true));
            return;
          }
          logger.warn("Truncated a torn tail of {} at offset {} ({} bytes, {}): the last append "
              + "was interrupted", path, outcome.damageAt, size - outcome.damageAt, outcome.damage);
          file.truncate(outcome.damageAt);
          if (outcome.damageAt < Frames.HEADER) {
            // No header survived: start the file over in the current format.
            file.truncate(0);
            file.append(ByteBuffer.wrap(Frames.LOG_MAGIC));
            end = Frames.HEADER;
          }
          file.force();
        } else {
          long size = file.size();
          file.close();
          file = null;
          damaged(path, outcome.damageAt, size - outcome.damageAt, outcome.damage, false);
          return;
        }
      }
      if (newest && !inspectOnly) {
        log = file;
        logGeneration = generation;
        logSize = end;
        file = null;
      }
    } finally {
      if (file != null) {
        file.close();
      }
    }
  }

  private void damaged(Path path, long offset, long bytes, String detail, boolean snapshot)
      throws IOException {
    if (inspectOnly) {
      findings.add(new Finding(path, offset, bytes, detail, false));
      return;
    }
    if (!recoverDamaged) {
      throw new StoreCorruptedException(path.toString(), offset, detail
          + "; the file was left as it is. To start anyway with what is readable, open with "
          + "recoverDamaged(true)");
    }
    recovered = true;
    if (!Files.exists(path)) {
      logger.warn("Token store {}: {} ({}); starting with what is readable", files.path(), path,
          detail);
      return;
    }
    Path aside = path.resolveSibling(path.getFileName() + ".damaged");
    for (int n = 2; Files.exists(aside); n++) {
      aside = path.resolveSibling(path.getFileName() + ".damaged-" + n);
    }
    files.disk().rename(path, aside);
    logger.warn("Token store {}: {} is damaged at offset {} ({}); moved it to {} and kept the {} "
        + "readable before the damage", files.path(), path, offset, detail, aside,
        snapshot ? "records" : "changes");
  }

  /** Replaces every file with one snapshot of what was recovered or upgraded and a fresh log. */
  private void checkpoint(long generation) throws IOException {
    files.writeSnapshot(generation, state);
    log = files.createLog(generation);
    logGeneration = generation;
    logSize = Frames.HEADER;
    snapshotGeneration = generation;
  }
}
