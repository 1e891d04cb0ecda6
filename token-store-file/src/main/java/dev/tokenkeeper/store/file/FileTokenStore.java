package dev.tokenkeeper.store.file;

import dev.tokenkeeper.core.Rotation;
import dev.tokenkeeper.core.SessionId;
import dev.tokenkeeper.core.SessionRecord;
import dev.tokenkeeper.core.StoreCorruptedException;
import dev.tokenkeeper.core.StoreUnavailableException;
import dev.tokenkeeper.core.TokenEntry;
import dev.tokenkeeper.core.TokenHash;
import dev.tokenkeeper.core.TokenRecord;
import dev.tokenkeeper.core.TokenStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable {@link TokenStore} in a local directory: the embedded default. Every session created,
 * refresh and revoke appends one small checksummed record to a log; every session and token is
 * held in memory (the {@link LiveIndex}), so authenticating never
 * touches the disk and the cost of a write does not grow with the number of sessions.
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
 * <p><b>Interrupts.</b> Interrupting a caller (a {@code Future.cancel(true)}, an executor's
 * {@code shutdownNow}, a container's stuck-thread handling) neither fails its call nor harms the
 * store: a call waits for its outcome through any interrupt, then returns (or throws what it would
 * have thrown) with its interrupt still set. A call is never cut short by an interrupt, so its
 * caller always learns whether its write was acknowledged.
 *
 * <p><b>Durability.</b> See {@link Durability}. With the default {@code SYNC} a call returns once
 * its record is on stable storage. A revoke (of a session, or of all of a user's) is forced in
 * every mode. {@link #touch} (last use, sliding expiry) is kept in memory and written at most once
 * per session per touch-persist interval, many sessions to a record, and on {@link #close()}.
 * Revoked sessions and rotated tokens stay known until their session expires, across compaction
 * and restart, so a replayed refresh token is told apart from an unknown one. If a write or an
 * fsync fails the store latches a failed state: every later write throws
 * {@link StoreUnavailableException}; it never forces again, since the kernel may have dropped the
 * pages it failed to write and a second fsync would report them written.
 *
 * <p><b>Secrecy.</b> Only token hashes, session metadata and sealed successor pairs (encrypted
 * under a key only the rotated token's plaintext gives) reach the files, which are created
 * owner-only ({@code 0600}, directory {@code 0700}); opening a store readable by others logs a
 * warning with the fix. Log lines name tokens by fingerprint at most.
 *
 * <h2>Design</h2>
 *
 * <p><b>Framing</b> (after LevelDB's log): a record is {@code [u32 length][u32 crc32c][type,
 * payload]} ({@link Frames}); files are versioned by their magic. Format 3 holds sessions and
 * tokens as records of their own, and each batch written to a log is led by a mark saying how
 * far the file was durable, a clean close ending it with a closing mark ({@link LogWriter}).
 * Stores of formats 1 and 2 by earlier releases are upgraded in place on open, crash-safe like a
 * compaction.
 *
 * <p><b>Recovery</b> assumes the worst ({@link Recovery}). A store not closed cleanly is never
 * appended to: what was read is written as a new snapshot and a fresh log before anything is
 * served, since its log may end in a hole or in pages a failed fsync lost that the page cache
 * still shows. In the newest log, bad bytes that no mark after them shows an fsync covered are
 * a torn tail (a power cut writes unsynced pages back in any order): nothing in or after them was
 * acknowledged, and they are dropped with one WARN line. Any other bad frame (forced bytes, an
 * older log, a snapshot) is damage: the open fails with {@link StoreCorruptedException} naming
 * file and offset and leaves the file untouched, unless {@link Builder#recoverDamaged(boolean)}
 * asks to move it aside and keep what was readable.
 *
 * <p><b>Group commit.</b> A writer changes memory and hands its record to the
 * {@link GroupCommit} under {@code changeLock} (so the log's order is memory's), then waits in
 * the group commit's queue: its head writes every record handed in so far with one write and one
 * fsync, wakes the writers that covered, and hands the lead to the next head. One fsync thus
 * serves many writers, and throughput grows with threads. The group commit is the only code
 * that says a record is durable, and once a write or fsync failed it refuses everything.
 *
 * <p><b>Threads and interrupts.</b> An interrupt reaching a thread inside a {@code FileChannel}
 * operation closes the channel for every user, and a failed log write fails the store. So the
 * files callers' threads touch (the log the group commit's head writes and forces, the closing
 * mark) are {@code RandomAccessFile}s ({@link SystemDisk}), which an interrupt cannot close, and
 * every wait goes on through an interrupt. What needs a channel (forcing a directory, the
 * directory's lock) or rewrites files runs on the store's own threads ({@link StoreThreads}),
 * which nobody else can interrupt: the compaction thread compacts, also for {@link #compact()};
 * a thread started for it opens the store. Their callers wait for them uninterruptibly.
 *
 * <p><b>Compaction</b> ({@link Compactor}). When the log passes the threshold a background
 * thread purges what has expired and rotates to a fresh log (the only step writers wait for),
 * then folds the previous snapshot and the retired logs into a new snapshot and deletes them. A
 * session is forgotten only once it has expired, revoked or not; a sealed successor once its
 * grace window has passed. The store then serves from the new snapshot, its image mapped, caught
 * up with what was logged since the rotation (see {@code serve}), so its heap holds only what
 * changed since, as a restarted store's does.
 *
 * <p><b>Parts</b>, one concern a file: this class implements the SPI and owns the lifecycle;
 * {@link LogWriter} writes the log; {@link GroupCommit} (with the {@link FailureLatch}) is the
 * only code that says a record is durable; {@link TouchBuffer} coalesces uses; {@link Compactor}
 * and {@link SnapshotWriter} compact; {@link StoreScan} reads a directory without changing it
 * (also for {@link StoreTool}) and {@link Recovery} opens it; {@link LiveIndex} holds the
 * sessions in memory; {@link LegacyImporter} imports the origin's file.
 *
 * <p><b>Locks</b>, always taken in this order: the {@link Compactor}'s (one compaction at a
 * time; held through a whole compaction), the touch buffer's {@code draining} (one flush of uses or
 * purge at a time), {@code changeLock} (memory changes and the handing in of
 * their records; held across I/O only while rotating and closing), the touch buffer's gate (a
 * purge holds it for writing from its flush of pending uses to its record, a refresh or logout
 * from its sessions' pending uses to its record; a use holds it for reading, never with another
 * lock), the
 * group commit's own lock (never held across I/O: its head
 * releases it while it writes and forces). The {@link LiveIndex}'s own locks are innermost and
 * never span I/O.
 *
 * <p><b>Legacy import.</b> See {@link Builder#importLegacy}: once, recorded, and the file deleted.
 */
public final class FileTokenStore implements TokenStore {

  private static final Logger LOG = LoggerFactory.getLogger(FileTokenStore.class);

  private final Path directory;
  private final StoreDirectory files;
  private final DirectoryLock lock;
  private final Durability durability;
  private final Clock clock;
  /**
   * Whether the builder was given a clock. Else {@link #clock} is the system's in UTC, and only a
   * legacy import, which reads local date-times, asks for the system's zone: its rules take a
   * fresh JVM some milliseconds to load, which an open need not wait for.
   */
  private final boolean zoneGiven;
  /** See {@link Builder#lookupsOnHeap}. */
  private final boolean lookupsOnHeap;
  private final Consumer<LiveIndex.HeapCopy> heapCopies = new HeapCopyLog();
  /**
   * The live index: every session and token, changed only under changeLock. Replaced only by a
   * compaction's last step, by the index read back from its snapshot ({@link #serve}).
   */
  private volatile LiveIndex live;
  /** Legacy files imported, by digest; changed only under changeLock. */
  private final Map<String, LogEntry.Imported> imports;
  private final TouchBuffer touches;

  /** Orders memory changes and their records: held from one's change to its handing in. */
  private final ReentrantLock changeLock = new ReentrantLock();
  /** The log and who may say durable. */
  private final GroupCommit commit;
  /** What was logged since a compaction's rotation, for the index read back from its snapshot. */
  private final LogTail tail = new LogTail();
  private final Compactor.Steps compaction = new Compaction();
  /** Indexes read back from snapshots and served; for tests. */
  private volatile long served;
  private final FailureLatch failure;

  private final AtomicBoolean closed = new AtomicBoolean();
  /** Flushes uses on a timer of its own, so a large flush never delays INTERVAL's fsync. */
  private final ScheduledExecutorService touchTimer;
  private final ScheduledExecutorService syncTimer;
  private final Compactor compactor;

  private FileTokenStore(Builder builder, DirectoryLock lock, StoreDirectory files,
      Recovery recovery) {
    this.directory = lock.directory();
    this.lock = lock;
    this.files = files;
    this.durability = builder.durability;
    this.clock = builder.clock != null ? builder.clock : Clock.systemUTC();
    this.zoneGiven = builder.clock != null;
    this.lookupsOnHeap = builder.lookupsOnHeap;
    this.live = recovery.scan.state.live;
    this.imports = recovery.scan.state.imports;
    this.failure = new FailureLatch(directory, LOG);
    String name = threadName(directory);
    this.commit = new GroupCommit(recovery.log, failure, tail);
    this.touches = new TouchBuffer(live, changeLock);
    this.touchTimer =
        Executors.newSingleThreadScheduledExecutor(StoreThreads.daemon(name + "-touches"));
    this.syncTimer =
        Executors.newSingleThreadScheduledExecutor(StoreThreads.daemon(name + "-sync"));
    this.compactor = new Compactor(files, failure, LOG, recovery.snapshotGeneration,
        builder.compactionThreshold, commit, closed, name + "-compaction");
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

  /** {@inheritDoc} One record on disk; forced before it returns in {@code SYNC} mode. */
  @Override
  public void create(SessionRecord session, List<TokenRecord> tokens) {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(tokens, "tokens");
    ByteBuffer frame = Frames.encode(new LogEntry.Create(session, tokens));
    long ticket;
    changeLock.lock();
    try {
      requireWritable();
      live.create(session, tokens);
      ticket = commit.enqueue(frame);
    } finally {
      changeLock.unlock();
    }
    await(ticket, durability == Durability.SYNC);
    compactIfDue();
  }

  /** {@inheritDoc} Lock-free, from memory. */
  @Override
  public Optional<TokenEntry> find(TokenHash hash) {
    requireOpen();
    return live.find(hash);
  }

  @Override
  public Optional<SessionRecord> findSession(SessionId id) {
    requireOpen();
    return live.findSession(id);
  }

  @Override
  public List<SessionRecord> findSessions(String subject) {
    requireOpen();
    return live.findSessions(subject);
  }

  /**
   * {@inheritDoc} One record holding the whole rotation (the sealed pair included), after the
   * session's last use if that was not written yet; forced before it returns in {@code SYNC}
   * mode. A rotation that lost to another waits in {@code SYNC} mode until the winner is durable,
   * since its caller may hand out the winner's pair.
   */
  @Override
  public boolean rotate(Rotation rotation) {
    Objects.requireNonNull(rotation, "rotation");
    ByteBuffer frame = Frames.encode(new LogEntry.Rotate(rotation));
    Rotated rotated;
    changeLock.lock();
    try {
      requireWritable();
      // Replay applies the rotation only to a session not expired at its instant, as memory
      // did: a use that kept the session alive must be in the log before the rotation.
      rotated = touches.settledFor(List.of(rotation.sessionId()), uses -> {
        enqueueUses(uses);
        boolean applied = live.rotate(rotation);
        return new Rotated(applied, applied ? commit.enqueue(frame) : commit.enqueued());
      });
    } finally {
      changeLock.unlock();
    }
    await(rotated.ticket(), durability == Durability.SYNC);
    compactIfDue();
    return rotated.applied();
  }

  /**
   * How many sessions a logout revoked, and the number of the last record it waits for. Their
   * pending uses go first (see {@link TouchBuffer}).
   */
  private record Revoked(int count, long ticket) {}

  /** Hands in the pending uses a change found under {@link TouchBuffer#settledFor}. */
  private void enqueueUses(List<ByteBuffer> uses) {
    if (!uses.isEmpty()) {
      commit.enqueue(uses);
    }
  }

  /** Whether a rotation applied, and the number of the last record it waits for. */
  private record Rotated(boolean applied, long ticket) {}

  /** {@inheritDoc} One record on disk, forced before it returns, in every mode. */
  @Override
  public boolean revokeSession(SessionId id, Instant at) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(at, "at");
    ByteBuffer frame = Frames.encode(new LogEntry.RevokeSession(id, at));
    Revoked revoked;
    changeLock.lock();
    try {
      requireWritable();
      revoked = touches.settledFor(List.of(id), uses -> {
        boolean any = live.revokeSession(id, at);
        enqueueUses(uses);
        // If another thread's revoke got there first, wait for it too before answering.
        return new Revoked(any ? 1 : 0, any ? commit.enqueue(frame) : commit.enqueued());
      });
    } finally {
      changeLock.unlock();
    }
    commit.awaitDurable(revoked.ticket());
    compactIfDue();
    return revoked.count() > 0;
  }

  /** {@inheritDoc} One record on disk, forced before it returns, in every mode. */
  @Override
  public int revokeAll(String subject, Instant at) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(at, "at");
    ByteBuffer frame = Frames.encode(new LogEntry.RevokeAll(subject, at));
    Revoked revoked;
    changeLock.lock();
    try {
      requireWritable();
      List<SessionId> ids = live.findSessions(subject).stream().map(SessionRecord::id).toList();
      revoked = touches.settledFor(ids, uses -> {
        int count = live.revokeAll(subject, at);
        enqueueUses(uses);
        return new Revoked(count, ids.isEmpty() ? commit.enqueued() : commit.enqueue(frame));
      });
    } finally {
      changeLock.unlock();
    }
    commit.awaitDurable(revoked.ticket());
    compactIfDue();
    return revoked.count();
  }

  /**
   * {@inheritDoc} Kept in memory at once; written at most once per session per touch-persist
   * interval, many sessions to a record, and on {@link #close()}. Never touches the disk on the
   * caller's thread.
   */
  @Override
  public void touch(SessionId id, Instant lastUsedAt, Instant expiresAt) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    requireOpen();
    touches.touch(id, lastUsedAt, expiresAt);
  }

  /** {@inheritDoc} One record on disk; forced before it returns in {@code SYNC} mode. */
  @Override
  public int purgeExpired(Instant now) {
    Objects.requireNonNull(now, "now");
    Purged purged = touches.settled(this::requireWritable, uses -> purge(uses, now, false));
    await(purged.ticket(), durability == Durability.SYNC);
    compactIfDue();
    return purged.count();
  }

  /**
   * How many sessions in memory are live: not revoked and not expired by the builder's clock.
   * Counts in time linear in the number of sessions.
   *
   * @throws IllegalStateException if the store is closed
   */
  public int liveCount() {
    requireOpen();
    return live.liveCount(clock.instant());
  }

  /**
   * Whether a write or an fsync has failed, so that the store refuses every write with
   * {@link StoreUnavailableException}, and never forces again, until it is reopened once the disk
   * is checked. Lookups still answer from memory. Stays so after {@link #close()}. For health
   * checks: a failed store's lookups succeed, its logins and logouts do not. Thread-safe.
   */
  public boolean isFailed() {
    return failure.isSet();
  }

  /** The log size past which a background compaction starts now; for tests. */
  long compactionThreshold() {
    return compactor.threshold();
  }

  /** Whether {@link #close()} was called: every call but {@link #stats()} then throws. */
  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Figures of this store since it was opened: fsyncs of its log and the records they made
   * durable, their time, the uses waiting in memory, compactions and the log's size. Each figure
   * is read once, without stopping writers, so figures taken together may be a moment apart.
   * Works after {@link #close()} too (the figures then stay as they were). Thread-safe.
   */
  public FileStoreStats stats() {
    GroupCommit.Figures fsyncs = commit.figures();
    return new FileStoreStats(fsyncs.fsyncs(), fsyncs.recordsSynced(), fsyncs.nanos(),
        fsyncs.maxNanos(), touches.backlog(), compactor.compactions(), compactor.nanos(),
        commit.logBytes());
  }

  /**
   * Compacts now, on the store's compaction thread, which the caller waits for (through any
   * interrupt, which stays set): forgets the sessions expired at the builder's clock's
   * current instant (revoked sessions and rotated tokens stay until then) and the sealed pairs
   * past their grace window, rotates to a fresh log, then replaces the older files by a snapshot.
   * Writers wait only for the rotation. Returns once the new snapshot is durable and the old
   * files are deleted.
   *
   * @throws StoreUnavailableException if a file could not be written; the store keeps its data
   *     (and refuses writes if an fsync failed)
   * @throws IllegalStateException if the store is closed
   */
  public void compact() {
    requireWritable();
    try {
      compactor.compact(compaction);
    } catch (IOException e) {
      throw new StoreUnavailableException(
          "compaction of token store " + directory + " failed: " + e.getMessage(), e);
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
    // Not shutdownNow: a running flush finishes, and the close below writes after it.
    touchTimer.shutdown();
    syncTimer.shutdown();
    try {
      compactor.close(() -> {
        if (!failure.isSet()) {
          handInTouches();
          changeLock.lock();
          try {
            commit.close();
          } finally {
            changeLock.unlock();
          }
        }
      });
    } catch (StoreUnavailableException e) {
      // The failure is latched; reported below once the files are released.
    } finally {
      release();
    }
    live.close();
    failure.check();
  }

  /** Says what became of each copy of what lookups read into the heap. */
  private final class HeapCopyLog implements Consumer<LiveIndex.HeapCopy> {
    @Override
    public void accept(LiveIndex.HeapCopy copy) {
      if (copy.made()) {
        LOG.info("Token store {}: lookups read from the heap, {} MB copied from the snapshot in"
            + " {} ms", directory, copy.bytes() >> 20, TimeUnit.NANOSECONDS.toMillis(copy.nanos()));
      } else {
        LOG.warn("Token store {}: lookups go on reading the snapshot's pages: {} MB of copies"
            + " need at most an eighth of the heap and four times them free ({} MB in use of"
            + " {} MB); see lookupsOnHeap", directory, copy.bytes() >> 20,
            copy.usedHeap() >> 20, copy.maxHeap() >> 20);
      }
    }
  }

  /**
   * How many parts a lookup reads are a snapshot's mapped pages (see
   * {@link Builder#lookupsOnHeap}); for tests.
   */
  int mappedLookupParts() {
    return live instanceof CompactLiveIndex compact ? compact.mappedLookupParts() : 0;
  }

  /** How many times a compaction's snapshot, read back, replaced the index served. */
  long served() {
    return served;
  }

  /** The store's directory, absolute. */
  Path directory() {
    return directory;
  }

  /** Simulates a crash for tests: releases files and lock without writing anything more. */
  void abandon() {
    closed.set(true);
    touchTimer.shutdownNow();
    syncTimer.shutdownNow();
    compactor.abandon();
    release();
  }

  private void release() {
    try {
      commit.release();
    } catch (IOException e) {
      LOG.warn("Token store {}: closing the log failed: {}", directory, e.toString());
    }
    lock.close();
  }

  // ---- writing ----

  /** Waits for record {@code ticket}: until it is durable, or else written to the OS. */
  private void await(long ticket, boolean durable) {
    if (durable) {
      commit.awaitDurable(ticket);
    } else {
      commit.awaitWritten(ticket);
    }
  }

  /** A purge's count of sessions forgotten, and the number of its last record. */
  private record Purged(int count, long ticket) {}

  /**
   * Forgets the sessions purgeable at {@code now} and the sealed pairs past their window in
   * memory, and hands in a purge record saying so (always if {@code record}, else whenever memory
   * changed, a sealed pair dropped alone included, since replay would otherwise bring it back),
   * after the pending {@code uses}: replay decides expiry from what the log says. Runs under
   * {@link TouchBuffer#settled}.
   */
  private Purged purge(List<ByteBuffer> uses, Instant now, boolean record) {
    if (!uses.isEmpty()) {
      commit.enqueue(uses);
    }
    LiveIndex.Forgotten forgotten = live.purge(now);
    if (forgotten.any() || record) {
      commit.enqueue(Frames.encode(new LogEntry.Purge(now)));
    }
    return new Purged(forgotten.sessions(), commit.enqueued());
  }

  /** Hands in every pending use, in batched records; returns the last one's number, or -1. */
  private long handInTouches() {
    return touches.flush(frames -> {
      failure.check();
      return commit.enqueue(frames);
    });
  }

  /** The touch timer's task: pending uses written to the OS, off every lock a writer needs. */
  private void flushTouches() {
    if (closed.get() || failure.isSet()) {
      return;
    }
    long ticket = handInTouches();
    if (ticket > 0) {
      commit.awaitWritten(ticket);
      // Uses grow the log as other records do: a store that only serves requests compacts too.
      compactIfDue();
    }
  }

  // ---- compaction ----

  private void compactIfDue() {
    compactor.compactIfDue(compaction);
  }

  /** The store's part of a compaction: its first step and its last. */
  private final class Compaction implements Compactor.Steps {

    @Override
    public Compactor.Retired rotate() {
      return purgeAndRotate();
    }

    @Override
    public void serve(StoreState snapshot) {
      FileTokenStore.this.serve(snapshot);
    }
  }

  /**
   * A compaction's first step: an ordinary logged purge, applied to memory and handed in as the
   * retired log's last record, then the rotation to a fresh log, in one step under changeLock.
   */
  private Compactor.Retired purgeAndRotate() {
    return touches.settled(this::requireWritable, uses -> {
      Purged forgotten = purge(uses, clock.instant(), true);
      long generation = commit.generation();
      // Everything in a retired log is forced, so on open only the newest log can be torn.
      commit.rotate(() -> LogWriter.create(files, generation + 1));
      tail.start();
      return new Compactor.Retired(generation, forgotten.count());
    });
  }

  /** Records the tail takes off every lock before the last few are applied under them. */
  private static final int CAUGHT_UP = 256;

  /**
   * A compaction's last step: serves from {@code snapshot}, the sessions of the snapshot just
   * written with its image mapped, once it has caught up with the records logged since the
   * rotation. Most of the catching up runs off every lock; the last records are applied with
   * writers and uses held ({@link TouchBuffer#settled}), the pending uses handed in first, so no
   * use stays noted only in the index being replaced. The two must then hold the same number of
   * sessions and tokens, or memory is kept (and a warning logged): replay and memory follow the
   * same rules, so a difference is a fault, never to be served. Lookups already under way finish
   * on the old index. Null, or any failure: memory is kept.
   */
  private void serve(StoreState snapshot) {
    try {
      if (snapshot == null) {
        return;
      }
      int replayed = 0;
      List<ByteBuffer> records;
      int rounds = 0;
      do {
        records = tail.take();
        replay(snapshot, records);
        replayed += records.size();
      } while (records.size() > CAUGHT_UP && ++rounds < 8);
      snapshot.live.prepareLookups();
      int offLock = replayed;
      touches.settled(this::requireWritable, uses -> {
        long held = System.nanoTime();
        enqueueUses(uses);
        List<ByteBuffer> last = tail.take();
        replay(snapshot, last);
        LiveIndex next = snapshot.live;
        if (next.sessionCount() != live.sessionCount() || next.tokenCount() != live.tokenCount()) {
          LOG.warn("Token store {}: the snapshot read back holds {} sessions and {} tokens, "
              + "memory {} and {}; going on serving from memory", directory,
              next.sessionCount(), next.tokenCount(), live.sessionCount(), live.tokenCount());
          return null;
        }
        touches.serve(next);
        LiveIndex previous = live;
        live = next;
        next.serving(lookupsOnHeap, heapCopies);
        previous.retire();
        served++;
        LOG.debug("Token store {}: serving the compaction's snapshot, caught up on {} records, "
            + "then {} with writers held for {} us", directory, offLock, last.size(),
            (System.nanoTime() - held) / 1000);
        return null;
      });
    } catch (RuntimeException e) {
      if (!closed.get() && !failure.isSet()) {
        LOG.warn("Token store {}: serving from the new snapshot failed, so the store goes on "
            + "serving from memory: {}", directory, e.toString());
      }
    } finally {
      tail.stop();
    }
  }

  /** Applies records handed to the log, in their order, as an open's replay would. */
  private static void replay(StoreState state, List<ByteBuffer> records) {
    for (ByteBuffer frame : records) {
      ByteBuffer body = frame.slice(frame.position() + Frames.HEADER,
          frame.remaining() - Frames.HEADER);
      state.apply(Frames.decode(body, Frames.VERSION, null));
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
    failure.check();
  }

  // ---- opening ----

  /**
   * Opens on a thread of the store's own, which the caller waits for through any interrupt: an
   * interrupt reaching a read or write of the store's files would close them under the open.
   */
  private static FileTokenStore open(Builder builder) {
    OpenPreloader.start();
    Path dir = builder.directory.toAbsolutePath().normalize();
    return StoreThreads.run(threadName(dir) + "-open", new Opening(builder, dir),
        RuntimeException.class);
  }

  /** An open, as its thread runs it. A class, not a lambda: see {@link OpenPreloader}. */
  private static final class Opening implements Callable<FileTokenStore> {
    private final Builder builder;
    private final Path dir;

    Opening(Builder builder, Path dir) {
      this.builder = builder;
      this.dir = dir;
    }

    @Override
    public FileTokenStore call() {
      return open(builder, dir);
    }
  }

  private static FileTokenStore open(Builder builder, Path dir) {
    long started = System.nanoTime();
    boolean created = createDirectory(dir);
    DirectoryLock lock = DirectoryLock.acquire(dir);
    Recovery recovery = null;
    FileTokenStore store = null;
    try {
      StoreDirectory files = new StoreDirectory(lock.directory(), builder.disk);
      if (!created) {
        files.warnIfShared(LOG);
      }
      recovery = Recovery.open(files, builder.recoverDamaged, LOG);
      store = new FileTokenStore(builder, lock, files, recovery);
      if (builder.legacyFile != null) {
        new LegacyImporter(store.new Writer(), builder.legacyMaxLifetime)
            .run(builder.legacyFile);
      }
      store.start(builder);
      store.live.serving(store.lookupsOnHeap, store.heapCopies);
      // Sessions stored, not live ones: counting those would pass over every session.
      LOG.info("Opened token store {}: {} sessions loaded ({} tokens; {} records read) in {} ms",
          store.directory, store.live.sessionCount(), store.live.tokenCount(),
          recovery.scan.entries, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      return store;
    } catch (IOException | RuntimeException | Error e) {
      // Whatever failed (an Error included), the directory's lock and log are released, so the
      // store can be opened again in this JVM once the cause is fixed.
      if (store != null) {
        store.abandon();
      } else {
        if (recovery != null) {
          try {
            recovery.log.close();
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
      if (e instanceof Error error) {
        throw error;
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
    touchTimer.scheduleWithFixedDelay(new BackgroundWrite(false),
        touchMillis, touchMillis, TimeUnit.MILLISECONDS);
    if (durability == Durability.INTERVAL) {
      long syncMillis = builder.syncInterval.toMillis();
      syncTimer.scheduleWithFixedDelay(new BackgroundWrite(true),
          syncMillis, syncMillis, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * A timer's write: the kept uses flushed, or the log forced ({@code INTERVAL}). A failure is
   * logged, not thrown, which would end the timer. A class, not a lambda: see
   * {@link OpenPreloader}.
   */
  private final class BackgroundWrite implements Runnable {
    private final boolean sync;

    BackgroundWrite(boolean sync) {
      this.sync = sync;
    }

    @Override
    public void run() {
      try {
        if (sync) {
          commit.sync();
        } else {
          flushTouches();
        }
      } catch (RuntimeException e) {
        // Latched failures were logged once already; a closed store has nothing more to do.
        if (!failure.isSet() && !closed.get()) {
          LOG.warn("Token store {}: background write failed: {}", directory, e.toString());
        }
      }
    }
  }

  /** What the legacy import may do to this store while it opens: add sessions, durably. */
  final class Writer implements LegacyImporter.Target {

    @Override
    public Path directory() {
      return directory;
    }

    @Override
    public Disk disk() {
      return files.disk();
    }

    @Override
    public Clock clock() {
      return zoneGiven ? clock : clock.withZone(ZoneId.systemDefault());
    }

    @Override
    public Map<String, LogEntry.Imported> imports() {
      return imports;
    }

    @Override
    public boolean holds(TokenHash hash) {
      return live.find(hash).isPresent();
    }

    @Override
    public void writeDurably(List<LogEntry.Create> sessions, LogEntry.Imported imported) {
      long ticket;
      changeLock.lock();
      try {
        requireWritable();
        for (LogEntry.Create create : sessions) {
          ByteBuffer frame = Frames.encode(create);
          live.create(create.session(), create.tokens());
          commit.enqueue(frame);
        }
        ticket = commit.enqueue(Frames.encode(imported));
        imports.put(imported.sha256(), imported);
      } finally {
        changeLock.unlock();
      }
      // Forced in every mode: the legacy file is deleted next, and must not be the only copy.
      commit.awaitDurable(ticket);
    }
  }

  private static String threadName(Path directory) {
    return "tokenkeeper-store-" + directory.getFileName();
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

    /**
     * Default cap on an imported legacy token's lifetime from the import: 7 days, the default
     * absolute lifetime of {@code TokenService}.
     */
    public static final Duration DEFAULT_LEGACY_MAX_LIFETIME = Duration.ofDays(7);

    /**
     * The most log the default lets pass before a background compaction starts: 64 MiB. Unless
     * {@linkplain #compactionThreshold set}, a compaction starts once the log passes half the
     * last snapshot's size, at least 4 MiB and at most this.
     */
    public static final long DEFAULT_COMPACTION_THRESHOLD = 64L << 20;

    private Path directory;
    private Durability durability = Durability.SYNC;
    private Duration syncInterval = Duration.ofMillis(100);
    private Duration touchPersistInterval = Duration.ofMinutes(1);
    /** 0 until set: half the last snapshot, within bounds (see the default's constant). */
    private long compactionThreshold;
    private Clock clock;
    private Path legacyFile;
    private Duration legacyMaxLifetime = DEFAULT_LEGACY_MAX_LIFETIME;
    private boolean recoverDamaged;
    private boolean lookupsOnHeap;
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
     * The log size in bytes past which a background compaction starts. By default half the last
     * snapshot's size, at least 4 MiB and at most {@link #DEFAULT_COMPACTION_THRESHOLD}: an open
     * replays the log written since the last snapshot, and replaying a login or a use costs some
     * ten times more than loading a session from a snapshot, so the log since is kept in
     * proportion to the snapshot rather than left to grow to 64 MiB before a store of any size
     * compacts (a store of 10,000 sessions with 64 MiB of uses to replay took 2 s to open). A
     * threshold set here stays fixed.
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
     * The clock compaction uses to decide which sessions have expired, {@link #liveCount()} uses,
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
     * Imports the origin system's {@code auth_tokens.json} on open, once, if the file exists: each
     * raw token is hashed (never stored) and becomes a session of its own, expired entries are
     * skipped, and expiries are capped at {@link #legacyMaxLifetime} from now. The import and the
     * SHA-256 of the file's bytes are recorded durably in the store (kept across compaction), and
     * then the file is deleted, with one INFO line giving the counts; no copy is kept. While an
     * import is recorded no legacy file is imported again: the same file shipped again (an image,
     * a backup) is deleted unread, so a token logged out since cannot come back from it; a
     * different file is left in place with a warning to delete it. Copies named
     * {@code NAME.imported} that earlier releases left are deleted and recorded as imported. Its
     * naive date-times are read in the clock's zone. A malformed file fails {@link #build()} with
     * {@link StoreCorruptedException}, nothing is imported and the file is left as it is.
     *
     * @throws IllegalStateException if already set
     */
    public Builder importLegacy(Path authTokensJson) {
      once("importLegacy");
      this.legacyFile = Objects.requireNonNull(authTokensJson, "authTokensJson");
      return this;
    }

    /**
     * The longest an imported legacy token may live from the import, whatever expiry the file
     * gives it; default {@link #DEFAULT_LEGACY_MAX_LIFETIME}. Set it to the service's
     * {@code absoluteTtl}: the store does not know it.
     *
     * @throws IllegalArgumentException if not positive
     * @throws IllegalStateException if already set
     */
    public Builder legacyMaxLifetime(Duration lifetime) {
      once("legacyMaxLifetime");
      Objects.requireNonNull(lifetime, "lifetime");
      if (lifetime.isNegative() || lifetime.isZero()) {
        throw new IllegalArgumentException("legacyMaxLifetime must be positive: " + lifetime);
      }
      this.legacyMaxLifetime = lifetime;
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

    /**
     * Whether to copy what a lookup reads (the sessions' slots and the table of digests, about 96
     * bytes a session) from the snapshot's mapped pages into the heap, in the background once the
     * store serves, after open and after each compaction; default false. Worth it for a large
     * store in a JVM whose heap is on 2 MiB pages ({@code -XX:+UseTransparentHugePages}): a
     * file's mapped pages are 4 KiB, and among a million sessions each of a lookup's reads at
     * random then also walks the page tables. The copy costs that much heap, and one thread's
     * time after each open and compaction: tens of milliseconds at a million sessions where new
     * heap pages are cheap, a few hundred where each MiB of them costs milliseconds. Without
     * 2 MiB pages for the heap it gains nothing. The copies are made only if they are
     * at most an eighth of the heap and four times them is free; otherwise lookups go on reading
     * the mapped pages. Made, they stay: size the heap for them.
     *
     * @throws IllegalStateException if already set
     */
    public Builder lookupsOnHeap(boolean onHeap) {
      once("lookupsOnHeap");
      this.lookupsOnHeap = onHeap;
      return this;
    }

    /** The file operations to use; tests fail them. */
    Builder disk(Disk disk) {
      once("disk");
      this.disk = Objects.requireNonNull(disk, "disk");
      return this;
    }

    /**
     * Opens the store: locks the directory, loads it (upgrading a format 1 store in place),
     * imports the legacy file if given, and logs one INFO line with the sessions loaded,
     * from where, and how long it took.
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
