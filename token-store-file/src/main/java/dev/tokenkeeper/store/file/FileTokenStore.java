package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStore;
import java.io.IOException;
import java.io.SyncFailedException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable {@link TokenStore} in a local directory: the embedded default. Every issue and revoke
 * appends one small checksummed record to a log; the live set is held in memory, so authenticating
 * never touches the disk and the cost of a write does not grow with the number of tokens.
 *
 * <pre>{@code
 * try (FileTokenStore store = FileTokenStore.builder()
 *     .directory(Path.of("/var/lib/myapp/tokens"))   // created 0700 if missing
 *     .durability(Durability.SYNC)                   // the default
 *     .build()) {
 *   TokenService tokens = TokenService.builder().store(store).build();
 *   ...
 * }
 * }</pre>
 *
 * <p><b>Thread-safety.</b> Thread-safe; share one per directory. A directory has one writer: a
 * second opener, in this JVM or another process, fails at once with {@link StoreLockedException}.
 *
 * <p><b>Durability.</b> See {@link Durability}. With the default {@code SYNC} a call returns once
 * its record is on stable storage. A revoke is forced in every mode. {@link #touch} (last use,
 * sliding expiry) is kept in memory and written at most once per token per touch-persist interval
 * and on {@link #close()}; {@link #delete} is written lazily. If an fsync fails the store latches a
 * failed state: every later write throws {@link StoreUnavailableException}; it never retries the
 * fsync, since the kernel may have dropped the pages it failed to write.
 *
 * <p><b>Secrecy.</b> Only token hashes and session metadata reach the files, which are created
 * owner-only ({@code 0600}, directory {@code 0700}); opening a store readable by others logs a
 * warning with the fix. Log lines name tokens by fingerprint at most.
 *
 * <h2>Design</h2>
 *
 * <p><b>Framing</b> (after LevelDB's log): a record is {@code [u32 length][u32 crc32c][type,
 * payload]}. On open the newest log may end in a torn tail (a frame cut short, zeros or garbage
 * after the last good frame, and no valid frame after it): it is truncated with one WARN line. Any
 * other bad frame (in an older log, a snapshot, or followed by a good frame) is damage: the open
 * fails with {@link StoreCorruptedException} naming file and offset and leaves the file untouched,
 * unless {@link Builder#recoverDamaged(boolean)} asks to move it aside and keep what was readable.
 *
 * <p><b>Group commit.</b> Writers append under {@code appendLock} (which also orders memory
 * changes the way the log does), then wait for durability: one waiter, the leader, forces the
 * file for everything written so far while the others queue on {@code syncLock}'s condition;
 * those its fsync covered return without one of their own. One fsync thus serves many writers,
 * and throughput grows with threads.
 *
 * <p><b>Compaction</b> (after Redis's rewrite and Bitcask's merge). When the log passes the
 * threshold a background thread rotates to a fresh log (force the old one, create the new one,
 * force the directory: the only step writers wait for), then folds the previous snapshot and the
 * retired logs into a new snapshot holding only records live at that instant, written to a temp
 * file, forced, renamed and the directory forced, and deletes the retired files. A crash at any
 * step leaves a directory that opens with every acknowledged record: until the rename the old
 * snapshot and logs are complete, after it the new snapshot covers them. Revoked and expired
 * records the snapshot dropped are then forgotten in memory too, so memory matches a reopen.
 *
 * <p><b>Locks</b>, always taken in this order: {@code compactionLock} (one compaction at a time;
 * held through a whole compaction), {@code appendLock} (appends and the memory changes they
 * record; held across an fsync only while rotating and closing), {@code syncLock} (the group
 * commit's state; the leader releases it while it forces, so it never spans an fsync except in
 * rotation and close, which first wait for the leader). The in-memory {@link LiveSet}'s own
 * monitor is innermost and never spans I/O.
 */
public final class FileTokenStore implements TokenStore {

  private static final Logger LOG = LoggerFactory.getLogger(FileTokenStore.class);
  private static final int PRUNE_BATCH = 4096;

  private final Path directory;
  private final StoreDirectory files;
  private final DirectoryLock lock;
  private final Durability durability;
  private final Clock clock;
  private final long compactionThreshold;
  private final LiveSet live;
  /** Tokens whose last use or expiry changed since they were last written. */
  private final Set<TokenHash> touched = ConcurrentHashMap.newKeySet();

  private final ReentrantLock compactionLock = new ReentrantLock();
  private final ReentrantLock appendLock = new ReentrantLock();
  private final ReentrantLock syncLock = new ReentrantLock();

  /** Changed under appendLock and syncLock both, so holding either one pins it. */
  private volatile Disk.File log;
  /** Written under appendLock and syncLock. */
  private volatile long logGeneration;
  /** Written under appendLock. */
  private volatile long logSize;
  /** Bytes appended since open: the sequence number of the last append. Under appendLock. */
  private volatile long written;
  /** Written under syncLock: every byte up to here is on stable storage. */
  private volatile long durable;
  /** Guarded by syncLock: a leader is forcing the log without holding syncLock. */
  private boolean forcing;
  private final Condition forced = syncLock.newCondition();
  /** Guarded by compactionLock. */
  private long snapshotGeneration;

  private volatile Throwable failure;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean compactionQueued = new AtomicBoolean();
  private final ScheduledExecutorService timer;
  private final ExecutorService compactor;

  private FileTokenStore(Builder builder, DirectoryLock lock, StoreDirectory files,
      Replay replay) {
    this.directory = lock.directory();
    this.lock = lock;
    this.files = files;
    this.durability = builder.durability;
    this.clock = builder.clock;
    this.compactionThreshold = builder.compactionThreshold;
    this.live = replay.live;
    this.log = replay.log;
    this.logGeneration = replay.logGeneration;
    this.logSize = replay.logSize;
    this.snapshotGeneration = replay.snapshotGeneration;
    String name = "tokenkeeper-store-" + directory.getFileName();
    this.timer = Executors.newSingleThreadScheduledExecutor(daemon(name));
    this.compactor = Executors.newSingleThreadExecutor(daemon(name + "-compaction"));
  }

  /**
   * Opens the store in {@code directory} with every default: {@link Durability#SYNC}, no legacy
   * import, no recovery of damage.
   *
   * @throws StoreLockedException if the directory is open elsewhere
   * @throws StoreCorruptedException if a file is damaged (see {@link Builder#recoverDamaged})
   * @throws StoreUnavailableException if the directory cannot be created, read or locked
   */
  public static FileTokenStore open(Path directory) {
    return builder().directory(directory).build();
  }

  /** A builder with the defaults stated on each setter. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void save(TokenRecord record) {
    Objects.requireNonNull(record, "record");
    long sequence;
    appendLock.lock();
    try {
      requireWritable();
      if (!live.add(record)) {
        throw new IllegalArgumentException("a record is already stored under " + record.hash());
      }
      sequence = append(new LogEntry.Save(record));
    } finally {
      appendLock.unlock();
    }
    if (durability == Durability.SYNC) {
      awaitDurable(sequence);
    }
    compactIfDue();
  }

  @Override
  public Optional<TokenRecord> find(TokenHash hash) {
    Objects.requireNonNull(hash, "hash");
    requireOpen();
    return Optional.ofNullable(live.get(hash));
  }

  @Override
  public List<TokenRecord> findBySubject(String subject) {
    Objects.requireNonNull(subject, "subject");
    requireOpen();
    return live.bySubject(subject);
  }

  /** {@inheritDoc} Forced to disk before it returns, in every {@link Durability} mode. */
  @Override
  public boolean revoke(TokenHash hash, Instant at) {
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(at, "at");
    boolean revoked;
    long sequence;
    appendLock.lock();
    try {
      requireWritable();
      revoked = live.revoke(hash, at);
      // If another thread's revoke got there first, wait for it too before answering.
      sequence = revoked ? append(new LogEntry.Revoke(hash, at)) : written;
    } finally {
      appendLock.unlock();
    }
    awaitDurable(sequence);
    compactIfDue();
    return revoked;
  }

  /** {@inheritDoc} One record on disk, forced before it returns, in every mode. */
  @Override
  public int revokeAll(String subject, Instant at) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(at, "at");
    int count;
    long sequence;
    appendLock.lock();
    try {
      requireWritable();
      count = live.revokeAll(subject, at);
      sequence = count > 0 ? append(new LogEntry.RevokeAll(subject, at)) : written;
    } finally {
      appendLock.unlock();
    }
    awaitDurable(sequence);
    compactIfDue();
    return count;
  }

  /**
   * {@inheritDoc} Kept in memory at once; written at most once per token per touch-persist
   * interval, and on {@link #close()}. Never touches the disk on the caller's thread.
   */
  @Override
  public void touch(TokenHash hash, Instant lastUsedAt, Instant expiresAt) {
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    requireOpen();
    if (live.touch(hash, lastUsedAt, expiresAt)) {
      touched.add(hash);
    }
  }

  /** {@inheritDoc} Written at once but forced lazily, with the next forced write. */
  @Override
  public boolean delete(TokenHash hash) {
    Objects.requireNonNull(hash, "hash");
    appendLock.lock();
    try {
      requireWritable();
      if (!live.delete(hash)) {
        return false;
      }
      touched.remove(hash);
      append(new LogEntry.Delete(hash));
    } finally {
      appendLock.unlock();
    }
    compactIfDue();
    return true;
  }

  /** {@inheritDoc} One record on disk; forced before it returns in {@code SYNC} mode. */
  @Override
  public int purgeExpired(Instant now) {
    Objects.requireNonNull(now, "now");
    int count;
    long sequence;
    appendLock.lock();
    try {
      requireWritable();
      // Replay decides expiry from what the log says, so pending touches must be in it first.
      flushTouchesLocked();
      count = live.purge(now);
      sequence = count > 0 ? append(new LogEntry.Purge(now)) : written;
    } finally {
      appendLock.unlock();
    }
    if (durability == Durability.SYNC) {
      awaitDurable(sequence);
    }
    compactIfDue();
    return count;
  }

  /**
   * How many records in memory are live: not revoked and not expired by the builder's clock.
   * Counts in time linear in the number of records.
   *
   * @throws IllegalStateException if the store is closed
   */
  public int liveCount() {
    requireOpen();
    return (int) live.liveCount(clock.instant());
  }

  /**
   * Compacts now, on the calling thread: rotates to a fresh log, then replaces the older files by
   * a snapshot of the records live at the builder's clock's current instant. Writers wait only for
   * the rotation. Returns once the new snapshot is durable and the old files are deleted.
   *
   * @throws StoreUnavailableException if a file could not be written; the store keeps its data
   *     (and refuses writes if an fsync failed)
   * @throws IllegalStateException if the store is closed
   */
  public void compact() {
    requireWritable();
    compactionLock.lock();
    try {
      requireWritable();
      compactLocked();
    } catch (IOException e) {
      throw new StoreUnavailableException(
          "compaction of token store " + directory + " failed: " + e.getMessage(), e);
    } finally {
      compactionLock.unlock();
    }
  }

  /**
   * Writes pending touches, forces the log, stops background work and releases the directory
   * lock. Waits for a running compaction to finish. Idempotent.
   *
   * @throws StoreUnavailableException if the store had failed, or the final flush failed; the
   *     lock is released all the same
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    timer.shutdownNow();
    compactor.shutdown();
    compactionLock.lock();
    try {
      appendLock.lock();
      try {
        if (failure == null) {
          flushTouchesLocked();
          syncLock.lock();
          try {
            while (forcing) {
              forced.awaitUninterruptibly();
            }
            forceLog();
            durable = written;
          } finally {
            syncLock.unlock();
          }
        }
      } catch (StoreUnavailableException e) {
        // failure is latched; reported below once the files are released.
      } finally {
        appendLock.unlock();
      }
    } finally {
      compactionLock.unlock();
      release();
    }
    if (failure != null) {
      throw unavailable();
    }
  }

  /** Simulates a crash for tests: releases files and lock without writing anything more. */
  void abandon() {
    closed.set(true);
    timer.shutdownNow();
    compactor.shutdownNow();
    release();
  }

  private void release() {
    try {
      log.close();
    } catch (IOException e) {
      LOG.warn("Token store {}: closing the log failed: {}", directory, e.toString());
    }
    lock.close();
  }

  // ---- writing ----

  /** Appends one record; the caller holds appendLock. Returns its sequence number. */
  private long append(LogEntry entry) {
    ByteBuffer frame = Frames.encode(entry);
    int size = frame.remaining();
    try {
      log.append(frame);
    } catch (IOException e) {
      // A partial frame may now sit at the end: appending after it would turn a torn tail into
      // mid-log damage, so no further write is allowed.
      throw fail("append to " + files.log(logGeneration) + " failed: " + e.getMessage(), e);
    }
    logSize += size;
    written += size;
    return written;
  }

  /**
   * Returns once every byte up to {@code sequence} is on stable storage (group commit). One
   * waiter at a time is the leader: it forces everything written so far, outside the lock, while
   * later writers queue; when it is done all waiters wake at once, and those its fsync covered
   * return without one of their own.
   */
  private void awaitDurable(long sequence) {
    if (durable >= sequence) {
      return;
    }
    syncLock.lock();
    try {
      while (durable < sequence) {
        requireHealthy();
        if (forcing) {
          forced.awaitUninterruptibly();
          continue;
        }
        forcing = true;
        long target = written;
        Disk.File file = log;
        long generation = logGeneration;
        syncLock.unlock();
        try {
          StoreDirectory.force(file, files.log(generation));
        } catch (SyncFailedException e) {
          throw fail(e.getMessage(), e);
        } finally {
          syncLock.lock();
          forcing = false;
          forced.signalAll();
        }
        durable = target;
      }
    } finally {
      syncLock.unlock();
    }
  }

  /** Forces the current log; the caller holds appendLock and syncLock, and no leader forces. */
  private void forceLog() {
    try {
      StoreDirectory.force(log, files.log(logGeneration));
    } catch (SyncFailedException e) {
      throw fail(e.getMessage(), e);
    }
  }

  /** Writes the last use of each touched token; the caller holds appendLock. */
  private void flushTouchesLocked() {
    for (Iterator<TokenHash> it = touched.iterator(); it.hasNext(); ) {
      TokenHash hash = it.next();
      it.remove();
      TokenRecord record = live.get(hash);
      if (record != null && !record.isRevoked()) {
        append(new LogEntry.Touch(
            hash, record.session().lastUsedAt(), record.session().expiresAt()));
      }
    }
  }

  private void flushTouches() {
    appendLock.lock();
    try {
      if (!closed.get() && failure == null) {
        flushTouchesLocked();
      }
    } finally {
      appendLock.unlock();
    }
  }

  // ---- compaction ----

  private void compactIfDue() {
    if (logSize > compactionThreshold && compactionQueued.compareAndSet(false, true)) {
      try {
        compactor.execute(this::compactInBackground);
      } catch (RejectedExecutionException e) {
        compactionQueued.set(false);
      }
    }
  }

  private void compactInBackground() {
    try {
      compactionLock.lock();
      try {
        if (!closed.get() && failure == null && logSize > compactionThreshold) {
          compactLocked();
        }
      } finally {
        compactionLock.unlock();
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("Background compaction of token store {} failed: {}", directory, e.toString());
    } finally {
      compactionQueued.set(false);
    }
  }

  /** The caller holds compactionLock. */
  private void compactLocked() throws IOException {
    long started = System.nanoTime();
    Instant now;
    long retired;
    appendLock.lock();
    try {
      requireWritable();
      flushTouchesLocked();
      now = clock.instant();
      retired = logGeneration;
      rotateLocked(retired + 1);
    } finally {
      appendLock.unlock();
    }
    // Writers run again from here on; the rest reads only the retired files.
    long next = retired + 1;
    LiveSet folded = new LiveSet();
    if (snapshotGeneration > 0) {
      readRetired(files.snapshot(snapshotGeneration), Frames.SNAPSHOT_MAGIC, folded);
    }
    for (long generation = Math.max(snapshotGeneration, 1); generation <= retired; generation++) {
      readRetired(files.log(generation), Frames.LOG_MAGIC, folded);
    }
    List<TokenRecord> kept = new ArrayList<>(folded.size());
    List<TokenHash> dropped = new ArrayList<>();
    for (TokenRecord record : folded.records()) {
      if (record.isLiveAt(now)) {
        kept.add(record);
      } else {
        dropped.add(record.hash());
      }
    }
    try {
      files.writeSnapshot(next, kept);
    } catch (SyncFailedException e) {
      throw fail(e.getMessage(), e);
    }
    snapshotGeneration = next;
    for (long old : files.snapshots().headSet(next)) {
      files.disk().delete(files.snapshot(old));
    }
    for (long old : files.logs().headSet(next)) {
      files.disk().delete(files.log(old));
    }
    forget(dropped, now);
    LOG.info("Compacted token store {}: kept {} records, dropped {} revoked or expired, in {} ms",
        directory, kept.size(), dropped.size(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  /** Forces the current log and switches to a new one; the caller holds appendLock. */
  private void rotateLocked(long generation) {
    syncLock.lock();
    try {
      while (forcing) {
        forced.awaitUninterruptibly();
      }
      // Everything in a retired log is forced, so on open only the newest log can be torn.
      forceLog();
      durable = written;
      Disk.File fresh;
      try {
        fresh = files.createLog(generation);
      } catch (IOException e) {
        throw fail("creating " + files.log(generation) + " failed: " + e.getMessage(), e);
      }
      Disk.File old = log;
      log = fresh;
      logGeneration = generation;
      logSize = Frames.HEADER;
      try {
        old.close();
      } catch (IOException e) {
        LOG.warn("Token store {}: closing a retired log failed: {}", directory, e.toString());
      }
    } finally {
      syncLock.unlock();
    }
  }

  private void readRetired(Path path, byte[] magic, LiveSet into) throws IOException {
    try (Disk.File file = files.disk().open(path)) {
      FrameReader.Outcome outcome = FrameReader.read(file, magic, null, entry -> {
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

  /**
   * Forgets in memory what the snapshot dropped, so memory matches what a reopen loads. A record
   * that came back to life meanwhile (a use after the snapshot instant) is written again.
   */
  private void forget(List<TokenHash> dropped, Instant now) {
    for (int from = 0; from < dropped.size(); from += PRUNE_BATCH) {
      appendLock.lock();
      try {
        for (TokenHash hash : dropped.subList(from, Math.min(dropped.size(), from + PRUNE_BATCH))) {
          TokenRecord alive = live.dropIfDead(hash, now);
          touched.remove(hash);
          if (alive != null && failure == null) {
            append(new LogEntry.Save(alive));
          }
        }
      } finally {
        appendLock.unlock();
      }
    }
  }

  // ---- state ----

  private void requireOpen() {
    if (closed.get()) {
      throw new IllegalStateException("token store " + directory + " is closed");
    }
  }

  private void requireWritable() {
    requireOpen();
    requireHealthy();
  }

  private void requireHealthy() {
    if (failure != null) {
      throw unavailable();
    }
  }

  /** Latches the failed state (the first cause wins) and returns the exception to throw. */
  private StoreUnavailableException fail(String what, Throwable cause) {
    if (failure == null) {
      failure = cause;
      LOG.error("Token store {} failed and now refuses all writes: {}", directory, what);
    }
    return unavailable();
  }

  private StoreUnavailableException unavailable() {
    Throwable cause = failure;
    return new StoreUnavailableException("token store " + directory + " refuses writes since a "
        + "write or fsync failed (" + cause.getMessage() + "); what was acknowledged before is "
        + "on disk; check the disk and reopen the store", cause);
  }

  // ---- opening ----

  private static FileTokenStore open(Builder builder) {
    long started = System.nanoTime();
    Path dir = builder.directory.toAbsolutePath().normalize();
    boolean created = createDirectory(dir);
    DirectoryLock lock = DirectoryLock.acquire(dir);
    Replay replay = null;
    FileTokenStore store = null;
    try {
      StoreDirectory files = new StoreDirectory(lock.directory(), builder.disk);
      if (!created) {
        files.warnIfShared(LOG);
      }
      replay = Replay.load(files, builder.recoverDamaged, LOG);
      store = new FileTokenStore(builder, lock, files, replay);
      if (builder.legacyFile != null) {
        store.importLegacy(builder.legacyFile);
      }
      store.start(builder);
      LOG.info("Opened token store {}: {} live tokens loaded ({} records) in {} ms",
          store.directory, store.live.liveCount(store.clock.instant()), replay.entries,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      return store;
    } catch (IOException | RuntimeException e) {
      if (store != null) {
        store.abandon();
      } else {
        if (replay != null && replay.log != null) {
          try {
            replay.log.close();
          } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
          }
        }
        lock.close();
      }
      if (e instanceof IOException) {
        throw new StoreUnavailableException(
            "cannot open token store " + dir + ": " + e.getMessage(), e);
      }
      throw (RuntimeException) e;
    }
  }

  private static boolean createDirectory(Path dir) {
    if (Files.isDirectory(dir)) {
      return false;
    }
    try {
      Files.createDirectories(dir, SystemDisk.ownerOnlyDirectory(dir.getFileSystem()));
      return true;
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot create token store directory " + dir, e);
    }
  }

  private void start(Builder builder) {
    long touchMillis = builder.touchPersistInterval.toMillis();
    timer.scheduleWithFixedDelay(() -> runQuietly(this::flushTouches),
        touchMillis, touchMillis, TimeUnit.MILLISECONDS);
    if (durability == Durability.INTERVAL) {
      long syncMillis = builder.syncInterval.toMillis();
      timer.scheduleWithFixedDelay(() -> runQuietly(() -> awaitDurable(written)),
          syncMillis, syncMillis, TimeUnit.MILLISECONDS);
    }
  }

  private void runQuietly(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      // Latched failures were logged once already; a closed store has nothing more to do.
      if (failure == null && !closed.get()) {
        LOG.warn("Token store {}: background write failed: {}", directory, e.toString());
      }
    }
  }

  /** Imports the origin system's token file once, then renames it so it is not read again. */
  private void importLegacy(Path file) throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    LegacyImport.Result result =
        LegacyImport.read(file, clock.getZone(), clock.instant(), new SecureRandom());
    int imported = 0;
    appendLock.lock();
    try {
      for (TokenRecord record : result.records()) {
        // Already present means an earlier import stopped before the rename: skip, not fail.
        if (live.add(record)) {
          append(new LogEntry.Save(record));
          imported++;
        }
      }
    } finally {
      appendLock.unlock();
    }
    awaitDurable(written);
    Path renamed = file.resolveSibling(file.getFileName() + ".imported");
    for (int n = 2; Files.exists(renamed); n++) {
      renamed = file.resolveSibling(file.getFileName() + ".imported-" + n);
    }
    files.disk().rename(file, renamed);
    Path parent = file.toAbsolutePath().getParent();
    files.disk().forceDirectory(parent);
    LOG.info("Imported {} tokens from {} ({} expired skipped, {} already present) and renamed it "
        + "to {}; it still holds the raw tokens: delete it once the migration is confirmed",
        imported, file, result.expired(), result.records().size() - imported, renamed);
  }

  private static ThreadFactory daemon(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * Configures and opens a {@link FileTokenStore}. Each option may be set once; only
   * {@link #directory} is required.
   *
   * <pre>{@code
   * FileTokenStore store = FileTokenStore.builder()
   *     .directory(Path.of("tokens"))
   *     .durability(Durability.INTERVAL)
   *     .syncInterval(Duration.ofMillis(50))
   *     .importLegacy(Path.of("backend/auth_tokens.json"))
   *     .build();
   * }</pre>
   *
   * <p>Not thread-safe; use one builder on one thread.
   */
  public static final class Builder {

    /** Default log size past which a background compaction starts: 64 MiB. */
    public static final long DEFAULT_COMPACTION_THRESHOLD = 64L << 20;

    private Path directory;
    private Durability durability = Durability.SYNC;
    private Duration syncInterval = Duration.ofMillis(100);
    private Duration touchPersistInterval = Duration.ofMinutes(1);
    private long compactionThreshold = DEFAULT_COMPACTION_THRESHOLD;
    private Clock clock = Clock.systemDefaultZone();
    private Path legacyFile;
    private boolean recoverDamaged;
    private Disk disk = Disk.system();
    private final Set<String> set = ConcurrentHashMap.newKeySet();

    private Builder() {}

    /**
     * The store's directory; required. Created with owner-only permissions ({@code 0700}) if
     * missing; an existing one readable by others is used with a warning naming the fix.
     *
     * @throws IllegalStateException if already set
     */
    public Builder directory(Path directory) {
      once("directory");
      this.directory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * When a write is on disk; default {@link Durability#SYNC}. Revokes are forced in every mode.
     *
     * @throws IllegalStateException if already set
     */
    public Builder durability(Durability durability) {
      once("durability");
      this.durability = Objects.requireNonNull(durability, "durability");
      return this;
    }

    /**
     * How often {@link Durability#INTERVAL} forces the log; default 100 ms. At most this much of
     * issued tokens can be lost on power loss in that mode.
     *
     * @throws IllegalArgumentException if not at least one millisecond
     * @throws IllegalStateException if already set
     */
    public Builder syncInterval(Duration interval) {
      once("syncInterval");
      this.syncInterval = requireMillis("syncInterval", interval);
      return this;
    }

    /**
     * How often last-use and sliding-expiry changes are written, at most once per token each time;
     * default one minute. A crash can lose that much of them: a session then looks older than it
     * is, never younger.
     *
     * @throws IllegalArgumentException if not at least one millisecond
     * @throws IllegalStateException if already set
     */
    public Builder touchPersistInterval(Duration interval) {
      once("touchPersistInterval");
      this.touchPersistInterval = requireMillis("touchPersistInterval", interval);
      return this;
    }

    /**
     * The log size in bytes past which a background compaction starts; default
     * {@link #DEFAULT_COMPACTION_THRESHOLD}.
     *
     * @throws IllegalArgumentException if not positive
     * @throws IllegalStateException if already set
     */
    public Builder compactionThreshold(long bytes) {
      once("compactionThreshold");
      if (bytes <= 0) {
        throw new IllegalArgumentException("compactionThreshold must be positive: " + bytes);
      }
      this.compactionThreshold = bytes;
      return this;
    }

    /**
     * The clock compaction uses to decide which records have expired, {@link #liveCount()} uses,
     * and whose zone reads the legacy file's local date-times; default the system clock in the
     * system zone.
     *
     * @throws IllegalStateException if already set
     */
    public Builder clock(Clock clock) {
      once("clock");
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Imports the origin system's {@code auth_tokens.json} on open, if the file exists: each raw
     * token is hashed (never stored), expired entries are skipped, and the file is then renamed
     * to {@code auth_tokens.json.imported} so it is not imported twice. It still holds raw tokens:
     * delete it once the migration is confirmed. Its naive date-times are read in the clock's zone.
     * A malformed file fails {@link #build()} with {@link StoreCorruptedException} and nothing is
     * imported.
     *
     * @throws IllegalStateException if already set
     */
    public Builder importLegacy(Path authTokensJson) {
      once("importLegacy");
      this.legacyFile = Objects.requireNonNull(authTokensJson, "authTokensJson");
      return this;
    }

    /**
     * Whether to open a damaged store anyway; default false, so damage fails {@link #build()}
     * with {@link StoreCorruptedException} and the files stay untouched. When true, each damaged
     * file is renamed to {@code NAME.damaged} for inspection, every record readable before the
     * damage is kept, and a fresh snapshot of them replaces the other files. Changes after the
     * damage in that file are lost, revokes included: use it knowingly, then rotate sessions.
     *
     * @throws IllegalStateException if already set
     */
    public Builder recoverDamaged(boolean recover) {
      once("recoverDamaged");
      this.recoverDamaged = recover;
      return this;
    }

    /** The file operations to use; tests fail them. */
    Builder disk(Disk disk) {
      once("disk");
      this.disk = Objects.requireNonNull(disk, "disk");
      return this;
    }

    /**
     * Opens the store: locks the directory, loads it, imports the legacy file if given, and logs
     * one INFO line with the live tokens loaded, from where, and how long it took.
     *
     * @throws IllegalStateException if no directory was set
     * @throws StoreLockedException if the directory is open in another process or store
     * @throws StoreCorruptedException if a file is damaged, or the legacy file is malformed
     * @throws StoreUnavailableException if the directory cannot be created, read or written
     */
    public FileTokenStore build() {
      if (directory == null) {
        throw new IllegalStateException("directory is required");
      }
      return FileTokenStore.open(this);
    }

    private void once(String option) {
      if (!set.add(option)) {
        throw new IllegalStateException(option + " was already set");
      }
    }

    private static Duration requireMillis(String name, Duration interval) {
      Objects.requireNonNull(interval, name);
      if (interval.toMillis() < 1) {
        throw new IllegalArgumentException(name + " must be at least 1 ms: " + interval);
      }
      return interval;
    }
  }
}
