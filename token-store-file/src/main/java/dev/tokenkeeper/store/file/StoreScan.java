package dev.tokenkeeper.store.file;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Reads a store directory as opening does, and changes nothing: what {@link Recovery} acts on
 * when a store opens, and what the offline tool's {@code check} and {@code stats} print.
 *
 * <p>The newest snapshot is read, then every log from its generation on, in order. Every file
 * but the newest log was forced whole before the next one was made (a snapshot before its
 * rename, a log before the next log was created), so a bad frame in one of them is damage. The
 * newest log may end in bytes no fsync ever covered: a power cut writes unsynced pages back in
 * any order, so a hole with intact records after it is normal there. Its marks tell the two
 * apart ({@link LogEntry.Mark}): if a mark after the hole states bytes past the hole durable, an
 * fsync covered them and the hole is damage; otherwise nothing at or after the hole was ever
 * acknowledged, and it is a torn tail an open drops. Logs of earlier releases carry no marks:
 * there a bad frame with an intact frame after it is damage ({@link FrameReader#isTornTail}).
 *
 * <p>A store of format 1 is read the way that release did and converted in memory
 * ({@link V1Upgrade}). Not thread-safe.
 */
final class StoreScan {

  /**
   * What reading found wrong with one file.
   *
   * @param file the file
   * @param offset where the bad bytes start
   * @param bytes how many bytes from there to the file's end an open drops
   * @param detail what is wrong
   * @param tornTail whether it is bytes no fsync covered, which an open drops by itself
   */
  record Finding(Path file, long offset, long bytes, String detail, boolean tornTail) {}

  final StoreState state = new StoreState();
  final List<Finding> findings = new ArrayList<>();
  /** The newest snapshot's generation, or 0 if there is none. */
  long snapshotGeneration;
  /** The newest log's generation, or 0 if there is none. */
  long newestLog;
  /** Where the newest log's intact records end. */
  long newestLogEnd;
  /** Whether the newest log ends in a clean close's mark, with nothing after it. */
  boolean closedCleanly;
  /** The oldest format read: 1 or 2 (earlier releases), or {@link Frames#VERSION}. */
  int format = Frames.VERSION;
  /** The newest format read so far. */
  private int newestFormat;
  /** Records read, marks not counted. */
  long entries;
  /** Format 1 tokens read, and rotated tombstones made of them, when upgraded. */
  int upgradedTokens;
  int upgradedTombstones;

  private final StoreDirectory files;
  private final Map<String, String> strings = new HashMap<>();

  private StoreScan(StoreDirectory files) {
    this.files = files;
  }

  /** Reads the store in {@code files}; no file is changed or left open. */
  static StoreScan read(StoreDirectory files) throws IOException {
    StoreScan scan = new StoreScan(files);
    scan.run();
    return scan;
  }

  /** Whether the directory holds no store file at all. */
  boolean isEmpty() {
    return snapshotGeneration == 0 && newestLog == 0;
  }

  /**
   * Whether the store was closed cleanly in the current format, with nothing wrong: then it may
   * be appended to as it is.
   */
  boolean isClean() {
    return closedCleanly && findings.isEmpty() && format == Frames.VERSION;
  }

  /** The findings an open refuses, unless asked to recover. */
  List<Finding> damage() {
    List<Finding> damage = new ArrayList<>();
    for (Finding finding : findings) {
      if (!finding.tornTail()) {
        damage.add(finding);
      }
    }
    return Collections.unmodifiableList(damage);
  }

  private void run() throws IOException {
    TreeSet<Long> snapshots = files.snapshots();
    snapshotGeneration = snapshots.isEmpty() ? 0 : snapshots.last();
    if (snapshotGeneration > 0) {
      readSnapshot(files.snapshot(snapshotGeneration));
      noteInconsistency(files.snapshot(snapshotGeneration));
    }
    TreeSet<Long> logs = new TreeSet<>(files.logs().tailSet(snapshotGeneration));
    long expected = Math.max(snapshotGeneration, 1);
    newestLog = logs.isEmpty() ? 0 : logs.last();
    for (long generation : logs) {
      if (generation != expected) {
        damaged(files.log(expected), 0, 0, "log " + expected + " is missing");
      }
      readLog(generation, generation == newestLog);
      noteInconsistency(files.log(generation));
      expected = generation + 1;
    }
    if (format == 1) {
      upgradedTokens = state.upgrade.tokenCount();
      upgradedTombstones = state.upgrade.convertInto(state.live);
      state.imports.putIfAbsent(LogEntry.Imported.BY_EARLIER_RELEASE, new LogEntry.Imported(
          LogEntry.Imported.BY_EARLIER_RELEASE, 0, Instant.EPOCH));
    }
    state.live.trim();
  }

  /** Fewer bytes than any session (a plain one in a block) or token takes in a snapshot. */
  private static final long MIN_SESSION_BYTES = 64;
  private static final long MIN_TOKEN_BYTES = 32;

  private void readSnapshot(Path path) throws IOException {
    SnapshotRecords records;
    FrameReader.Outcome outcome;
    long size;
    try (Disk.File file = files.disk().open(path)) {
      size = file.size();
      records = new SnapshotRecords(size);
      outcome = FrameReader.read(file, Frames.SNAPSHOT_MAGIC, strings, true, records);
    }
    noteFormat(path, outcome);
    entries += outcome.entries;
    if (!outcome.isClean()) {
      damaged(path, outcome.damageAt, size - outcome.damageAt, outcome.damage);
    } else if (records.declared != records.saves || outcome.entries != records.saves + 1) {
      damaged(path, outcome.end, size - outcome.end, "snapshot is incomplete: " + records.saves
          + " records, " + (records.declared < 0 ? "no end record"
              : "end record says " + records.declared));
    }
  }

  /**
   * A snapshot's records as they are read, into {@link #state}; the end record's count kept for
   * checking. A class, not a lambda: see {@link OpenPreloader}.
   */
  private final class SnapshotRecords implements Consumer<LogEntry> {
    private final long fileSize;
    long saves;
    long declared = -1;

    SnapshotRecords(long fileSize) {
      this.fileSize = fileSize;
    }

    @Override
    public void accept(LogEntry entry) {
      if (entry instanceof LogEntry.Sizes sizes) {
        // Every session and token takes more bytes on disk than these, so a count the file
        // could not hold is damage or forgery, and open never reserves more than the file holds.
        if (saves != 0) {
          state.inconsistent("a sizes record that is not the snapshot's first");
        } else if (sizes.sessions() > fileSize / MIN_SESSION_BYTES
            || sizes.tokens() > fileSize / MIN_TOKEN_BYTES) {
          state.inconsistent("a sizes record claims " + sizes.sessions() + " sessions and "
              + sizes.tokens() + " tokens, more than " + fileSize + " bytes hold");
        } else {
          state.live.expect((int) sizes.sessions(), (int) sizes.tokens());
        }
      }
      if (entry instanceof LogEntry.Image && saves != 0) {
        state.inconsistent("an image that is not the snapshot's first record");
        return;
      }
      if (entry instanceof LogEntry.End end) {
        declared = end.count();
      } else if (declared < 0) {
        saves++;
        state.apply(entry);
      }
    }
  }

  private void readLog(long generation, boolean newest) throws IOException {
    Path path = files.log(generation);
    try (Disk.File file = files.disk().open(path)) {
      FrameReader.Outcome outcome = FrameReader.read(file, Frames.LOG_MAGIC, strings, false,
          new LogRecords());
      noteFormat(path, outcome);
      entries += outcome.entries;
      if (newest) {
        newestLogEnd = outcome.end;
        closedCleanly = outcome.isClean() && outcome.closed;
      }
      if (outcome.isClean()) {
        return;
      }
      long bytes = file.size() - outcome.damageAt;
      if (newest && neverForced(file, outcome)) {
        findings.add(new Finding(path, outcome.damageAt, bytes, outcome.damage, true));
      } else {
        damaged(path, outcome.damageAt, bytes, outcome.damage);
      }
    }
  }

  /** A log's records as they are read, into {@link #state}. A class: see {@link OpenPreloader}. */
  private final class LogRecords implements Consumer<LogEntry> {
    @Override
    public void accept(LogEntry entry) {
      if (entry instanceof LogEntry.PlainSessions || entry instanceof LogEntry.Sizes
          || entry instanceof LogEntry.Image) {
        state.inconsistent("a log holds a snapshot's " + entry.getClass().getSimpleName()
            + " record");
      } else {
        state.apply(entry);
      }
    }
  }

  /** Whether the bad bytes where {@code outcome} stopped were never covered by an fsync. */
  private static boolean neverForced(Disk.File file, FrameReader.Outcome outcome)
      throws IOException {
    if (outcome.checksummed) {
      return false; // an intact frame that makes no sense was written whole: damage
    }
    long at = outcome.damageAt;
    boolean marked = FrameReader.markAfter(file, at) > at;
    if (outcome.version >= 3) {
      return !marked;
    }
    // An earlier release's log, or a header unread: an intact frame after the bad bytes means
    // records after them were acknowledged.
    return !marked && FrameReader.isTornTail(file, at);
  }

  /**
   * Notes the format of {@code path}, just read. An upgrade rewrites every file before the store
   * serves, so a file of an older format than one read before it has a damaged header: a format
   * 4 log would otherwise read as format 3, whose records mean the same.
   */
  private void noteFormat(Path path, FrameReader.Outcome outcome) {
    if (outcome.version <= 0) {
      return;
    }
    if (outcome.version < newestFormat) {
      damaged(path, Frames.HEADER - 1, 0, "a file of format " + outcome.version
          + " after one of format " + newestFormat + ", which an upgrade never leaves");
    }
    format = Math.min(format, outcome.version);
    newestFormat = Math.max(newestFormat, outcome.version);
  }

  /** Reports what did not hold together in {@code path}, just read, as damage of that file. */
  private void noteInconsistency(Path path) {
    String inconsistency = state.finishFile();
    if (inconsistency != null) {
      damaged(path, 0, 0, inconsistency);
    }
  }

  private void damaged(Path path, long offset, long bytes, String detail) {
    findings.add(new Finding(path, offset, bytes, detail, false));
  }
}
