package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.StoreCorruptedException;
import java.io.IOException;
import java.io.SyncFailedException;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Compaction (after Redis's rewrite and Bitcask's merge): folds the previous snapshot and the
 * retired logs into a new snapshot and deletes them, one compaction at a time, on a thread of its
 * own: once the log passes the threshold, or when asked ({@link #compact}, which waits for it).
 *
 * <p>It starts with the store's own step ({@link Rotation}): purge what has expired (a logged
 * purge, applied to memory in the same step) and rotate to a fresh log, the only part writers
 * wait for. The snapshot is then exactly memory at the rotation, and nothing forgotten in one can
 * live on in the other. The rest reads only the retired files, written whole before the rotation
 * ({@link SnapshotWriter}: temp file, forced, renamed, directory forced), and deletes them only
 * after. A crash at any step leaves a directory that opens with every acknowledged record: until
 * the rename the old snapshot and logs are complete, after it the new snapshot covers them.
 *
 * <p>Thread-safe: {@code lock} is held through a whole compaction and is the first lock taken.
 */
final class Compactor {

  /** The store's first step of a compaction: purge, rotate, and say what was retired. */
  interface Rotation {
    Retired run();
  }

  /** The newest log generation retired by a rotation, and the sessions its purge forgot. */
  record Retired(long generation, int purged) {}

  private final StoreDirectory files;
  private final FailureLatch failure;
  private final Logger logger;
  private final long threshold;
  private final LongSupplier logBytes;
  private final BooleanSupplier running;
  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicBoolean queued = new AtomicBoolean();
  private final ExecutorService background;
  /** Guarded by lock. */
  private long snapshotGeneration;
  private volatile long compactions;
  private volatile long nanos;

  Compactor(StoreDirectory files, FailureLatch failure, Logger logger, long snapshotGeneration,
      long threshold, LongSupplier logBytes, BooleanSupplier running, String threadName) {
    this.files = files;
    this.failure = failure;
    this.logger = logger;
    this.snapshotGeneration = snapshotGeneration;
    this.threshold = threshold;
    this.logBytes = logBytes;
    this.running = running;
    this.background = Executors.newSingleThreadExecutor(StoreThreads.daemon(threadName));
  }

  /**
   * Compacts now, on the compaction thread, and returns once the old files are deleted. The
   * caller waits through any interrupt (which stays set): the files are never touched on its
   * thread.
   *
   * @throws IllegalStateException if compaction was stopped
   */
  void compact(Rotation rotation) throws IOException {
    Future<Void> compaction;
    try {
      compaction = background.submit(() -> {
        lock.lock();
        try {
          failure.check();
          compactLocked(rotation);
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

  /** Starts a background compaction if the log passed the threshold and none is queued. */
  void compactIfDue(Rotation rotation) {
    if (logBytes.getAsLong() > threshold && queued.compareAndSet(false, true)) {
      try {
        background.execute(() -> compactInBackground(rotation));
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

  private void compactInBackground(Rotation rotation) {
    try {
      lock.lock();
      try {
        if (running.getAsBoolean() && !failure.isSet() && logBytes.getAsLong() > threshold) {
          compactLocked(rotation);
        }
      } finally {
        lock.unlock();
      }
    } catch (IOException | RuntimeException e) {
      // A close that began after the check above stops the compaction before its rotation,
      // changing nothing on disk: a clean shutdown, not a failure.
      if (running.getAsBoolean()) {
        logger.warn("Background compaction of token store {} failed: {}", files.path(),
            e.toString());
      }
    } finally {
      queued.set(false);
    }
  }

  private void compactLocked(Rotation rotation) throws IOException {
    long started = System.nanoTime();
    Retired retired = rotation.run();
    // Writers run again from here on; the rest reads only the retired files.
    long next = retired.generation() + 1;
    StoreState folded = new StoreState();
    if (snapshotGeneration > 0) {
      readRetired(files.snapshot(snapshotGeneration), Frames.SNAPSHOT_MAGIC, folded);
    }
    for (long generation = Math.max(snapshotGeneration, 1); generation <= retired.generation();
        generation++) {
      readRetired(files.log(generation), Frames.LOG_MAGIC, folded);
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
  }

  private void readRetired(Path path, byte[] magic, StoreState into) throws IOException {
    try (Disk.File file = files.disk().open(path)) {
      // Copied, not mapped: the retired snapshot is deleted at the end, and its disk space with it.
      FrameReader.Outcome outcome = FrameReader.read(file, magic, null, false, entry -> {
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
