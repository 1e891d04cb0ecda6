package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.StoreCorruptedException;
import java.io.IOException;
import java.io.SyncFailedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;

/**
 * Compaction (after Redis's rewrite and Bitcask's merge): folds the previous snapshot and the
 * retired logs into a new snapshot and deletes them, one compaction at a time, on a thread of its
 * own: once the log passes the threshold, or when asked ({@link #compact}, which waits for it).
 *
 * <p>It starts with the store's own step ({@link Steps#rotate}): purge what has expired (a logged
 * purge, applied to memory in the same step) and rotate to a fresh log, the only part writers
 * wait for. The snapshot is then exactly memory at the rotation, and nothing forgotten in one can
 * live on in the other. The rest reads only the retired files, written whole before the rotation
 * ({@link SnapshotWriter}: temp file, forced, renamed, directory forced), and deletes them only
 * after. A crash at any step leaves a directory that opens with every acknowledged record: until
 * the rename the old snapshot and logs are complete, after it the new snapshot covers them.
 *
 * <p>Last, the store serves from the snapshot it wrote ({@link Steps#serve}): read back with its
 * image mapped, then caught up by the store with what was logged since the rotation, it holds
 * the same sessions as memory in about a fifth of the heap, so a server that never restarts
 * keeps on its heap only what changed since its last compaction, as a restarted one does.
 *
 * <p>Thread-safe: {@code lock} is held through a whole compaction and is the first lock taken.
 */
final class Compactor {

  /** The store's part of a compaction. */
  interface Steps {

    /** The first step: purge, rotate, and say what was retired. */
    Retired rotate();

    /**
     * The last step, always taken once {@link #rotate} was: serve from {@code snapshot}, the
     * sessions of the snapshot just written (its image mapped), once it has caught up with what
     * was logged since the rotation; or, if null (the compaction or the read failed), go on
     * serving from memory.
     */
    void serve(StoreState snapshot);
  }

  /** The newest log generation retired by a rotation, and the sessions its purge forgot. */
  record Retired(long generation, int purged) {}

  private final StoreDirectory files;
  private final FailureLatch failure;
  private final Logger logger;
  /** Set by the builder, or 0: then {@link #thresholdAfter} each snapshot. */
  private final long fixedThreshold;
  private volatile long threshold;
  /** Whose bytes since the last snapshot decide when to compact. */
  private final GroupCommit log;
  /** The store's: once it is closed, no compaction starts, and one cut short is no failure. */
  private final AtomicBoolean closed;
  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicBoolean queued = new AtomicBoolean();
  private final ExecutorService background;
  /** Guarded by lock. */
  private long snapshotGeneration;
  private volatile long compactions;
  private volatile long nanos;

  Compactor(StoreDirectory files, FailureLatch failure, Logger logger, long snapshotGeneration,
      long threshold, GroupCommit log, AtomicBoolean closed, String threadName) {
    this.files = files;
    this.failure = failure;
    this.logger = logger;
    this.snapshotGeneration = snapshotGeneration;
    this.fixedThreshold = threshold;
    this.threshold = thresholdAfter(snapshotGeneration);
    this.log = log;
    this.closed = closed;
    this.background = Executors.newSingleThreadExecutor(StoreThreads.daemon(threadName));
  }

  /**
   * Compacts now, on the compaction thread, and returns once the old files are deleted. The
   * caller waits through any interrupt (which stays set): the files are never touched on its
   * thread.
   *
   * @throws IllegalStateException if compaction was stopped
   */
  void compact(Steps steps) throws IOException {
    Future<Void> compaction;
    try {
      compaction = background.submit(() -> {
        lock.lock();
        try {
          failure.check();
          compactLocked(steps);
          return null;
        } finally {
          lock.unlock();
        }
      });
    } catch (RejectedExecutionException e) {
      throw new IllegalStateException("compaction of token store " + files.path()
          + " was stopped: the store is closed", e);
    }
    StoreThreads.await(compaction, IOException.class);
  }

  /** The least log a compaction starts at unless the builder sets a threshold: 4 MiB. */
  static final long MIN_THRESHOLD = 4L << 20;

  /**
   * The threshold once snapshot {@code generation} (0 for none) is the last: the builder's, else
   * half the snapshot's size within {@link #MIN_THRESHOLD} and the default's cap; the cap if the
   * snapshot's size cannot be read.
   */
  private long thresholdAfter(long generation) {
    if (fixedThreshold > 0) {
      return fixedThreshold;
    }
    long snapshotBytes = 0;
    if (generation > 0) {
      try {
        snapshotBytes = Files.size(files.snapshot(generation));
      } catch (IOException e) {
        return FileTokenStore.Builder.DEFAULT_COMPACTION_THRESHOLD;
      }
    }
    return Math.min(FileTokenStore.Builder.DEFAULT_COMPACTION_THRESHOLD,
        Math.max(MIN_THRESHOLD, snapshotBytes / 2));
  }

  /** The log size past which a background compaction starts now. */
  long threshold() {
    return threshold;
  }

  /** Starts a background compaction if the log passed the threshold and none is queued. */
  void compactIfDue(Steps steps) {
    if (log.logBytes() > threshold && queued.compareAndSet(false, true)) {
      try {
        background.execute(() -> compactInBackground(steps));
      } catch (RejectedExecutionException e) {
        queued.set(false);
      }
    }
  }

  /**
   * Stops background compaction and runs {@code step} once no compaction runs: what a close
   * writes last. Not shutdownNow: interrupting a compaction's fsync would close its file under
   * it; a running one finishes first.
   */
  void close(Runnable step) {
    background.shutdown();
    lock.lock();
    try {
      step.run();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops background compaction, for a simulated crash: a queued one never starts, and a running
   * one is waited for, so no thread of this store changes the directory after the crash.
   */
  void abandon() {
    background.shutdown();
    lock.lock();
    lock.unlock();
  }

  /** Compactions completed, and their time in nanos. */
  long compactions() {
    return compactions;
  }

  long nanos() {
    return nanos;
  }

  private void compactInBackground(Steps steps) {
    try {
      lock.lock();
      try {
        if (!closed.get() && !failure.isSet() && log.logBytes() > threshold) {
          compactLocked(steps);
        }
      } finally {
        lock.unlock();
      }
    } catch (IOException | RuntimeException e) {
      // A close that began after the check above stops the compaction before its rotation,
      // changing nothing on disk: a clean shutdown, not a failure.
      if (!closed.get()) {
        logger.warn("Background compaction of token store {} failed: {}", files.path(),
            e.toString());
      }
    } finally {
      queued.set(false);
    }
  }

  private void compactLocked(Steps steps) throws IOException {
    long started = System.nanoTime();
    Retired retired = steps.rotate();
    // Writers run again from here on; the rest reads only the retired files.
    StoreState written = null;
    try {
      long next = writeSnapshot(retired, started);
      written = readBack(files.snapshot(next));
    } finally {
      steps.serve(written);
    }
  }

  /**
   * Folds the previous snapshot and the retired logs into the next snapshot, writes it and
   * deletes them; returns its generation. The folded sessions, all on the heap, are dropped on
   * return, before the snapshot is read back.
   */
  private long writeSnapshot(Retired retired, long started) throws IOException {
    long next = retired.generation() + 1;
    StoreState folded = new StoreState();
    if (snapshotGeneration > 0) {
      read(files.snapshot(snapshotGeneration), Frames.SNAPSHOT_MAGIC, folded, false);
    }
    for (long generation = Math.max(snapshotGeneration, 1); generation <= retired.generation();
        generation++) {
      read(files.log(generation), Frames.LOG_MAGIC, folded, false);
    }
    String inconsistency = folded.finish();
    if (inconsistency != null) {
      throw new StoreCorruptedException(files.snapshot(snapshotGeneration).toString(), 0,
          inconsistency + " (found while compacting; the store keeps running on memory)");
    }
    failure.check();
    try {
      SnapshotWriter.write(files, next, folded);
    } catch (SyncFailedException e) {
      throw failure.fail(e.getMessage(), e);
    }
    snapshotGeneration = next;
    threshold = thresholdAfter(next);
    for (long old : files.snapshots().headSet(next)) {
      files.disk().delete(files.snapshot(old));
    }
    for (long old : files.logs().headSet(next)) {
      files.disk().delete(files.log(old));
    }
    long took = System.nanoTime() - started;
    nanos += took;
    compactions++;
    logger.info("Compacted token store {}: kept {} sessions with {} tokens, forgot {} expired, "
        + "in {} ms", files.path(), folded.live.sessionCount(), folded.live.tokenCount(),
        retired.purged(), TimeUnit.NANOSECONDS.toMillis(took));
    return next;
  }

  /**
   * The sessions of the snapshot just written, its image mapped, or null if it cannot be read:
   * the compaction stands, and the store goes on serving from memory.
   */
  private StoreState readBack(Path snapshot) {
    StoreState state = new StoreState();
    try {
      read(snapshot, Frames.SNAPSHOT_MAGIC, state, true);
      String inconsistency = state.finish();
      if (inconsistency != null) {
        throw new StoreCorruptedException(snapshot.toString(), 0, inconsistency);
      }
      return state;
    } catch (IOException | RuntimeException e) {
      logger.warn("Token store {}: reading back snapshot {} failed, so the store goes on "
          + "serving from memory: {}", files.path(), snapshot.getFileName(), e.toString());
      return null;
    }
  }

  /**
   * Reads a whole file into {@code into}. Copied, unless {@code map}: a retired file is deleted at
   * the end, and a mapping would keep its disk space until the collector finds it unreachable.
   */
  private void read(Path path, byte[] magic, StoreState into, boolean map) throws IOException {
    try (Disk.File file = files.disk().open(path)) {
      FrameReader.Outcome outcome = FrameReader.read(file, magic, null, map, entry -> {
        if (!(entry instanceof LogEntry.End)) {
          into.apply(entry);
        }
      });
      if (!outcome.isClean()) {
        throw new StoreCorruptedException(path.toString(), outcome.damageAt,
            outcome.damage + " (found while compacting; the store keeps running on memory)");
      }
    }
  }
}
